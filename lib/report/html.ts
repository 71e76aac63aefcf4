/**
 * A self-contained HTML report: per Jacobian entry, a scatter plot of the
 * model's derivative against the reference over the evaluation points (inline
 * SVG, no scripts, no network), with the entry's errors beside it.
 *
 * @module
 */

/** One panel: an entry `∂out/∂in` of the Jacobian over the points. */
export interface ScatterPanel {
  /** Title, e.g. `df1/dx3`. */
  readonly title: string;
  /** Reference values (x axis), length N. */
  readonly reference: ArrayLike<number>;
  /** Model values (y axis), length N. */
  readonly model: ArrayLike<number>;
  /** Short caption, e.g. the range-normalized error. */
  readonly caption?: string;
  /** Marks the panel as failing its tolerance. */
  readonly failed?: boolean;
}

/** A section of the report: one model, a table and a grid of panels. */
export interface ReportSection {
  readonly heading: string;
  /** Paragraphs of plain text (escaped). */
  readonly paragraphs?: readonly string[];
  /** Pre-formatted text (an aligned table), shown as is. */
  readonly preformatted?: string;
  /** Panels laid out `columns` per row. */
  readonly panels?: readonly ScatterPanel[];
  /** Panels per row. @default {4} */
  readonly columns?: number;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const SIZE = 190;
const PAD = 34;

function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

/**
 * Renders one scatter panel as an SVG element: points (reference, model) and
 * the diagonal y = x on which a perfect model's points lie.
 */
export function renderScatterSvg(panel: ScatterPanel): string {
  const n = Math.min(panel.reference.length, panel.model.length);
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < n; k++) {
    for (const v of [panel.reference[k]!, panel.model[k]!]) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  if (!Number.isFinite(lo)) {
    lo = -1;
    hi = 1;
  }
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    const pad = Math.max(Math.abs(hi) * 0.05, 1e-6);
    lo -= pad;
    hi += pad;
  }
  const span = hi - lo;
  const inner = SIZE - 2 * PAD;
  const sx = (v: number) => PAD + ((v - lo) / span) * inner;
  const sy = (v: number) => SIZE - PAD - ((v - lo) / span) * inner;
  const dots: string[] = [];
  for (let k = 0; k < n; k++) {
    const r = panel.reference[k]!;
    const m = panel.model[k]!;
    if (!Number.isFinite(r) || !Number.isFinite(m)) continue;
    dots.push(`<circle cx="${sx(r).toFixed(1)}" cy="${sy(m).toFixed(1)}" r="1.6"/>`);
  }
  const stroke = panel.failed ? "#b00020" : "#333";
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${
      SIZE + 14
    }" role="img" aria-label="${escapeHtml(panel.title)}">`,
    `<text x="${
      SIZE / 2
    }" y="12" text-anchor="middle" font-size="12" font-weight="bold" fill="${stroke}">${
      escapeHtml(panel.title)
    }</text>`,
    `<g transform="translate(0,14)">`,
    `<rect x="${PAD}" y="${PAD}" width="${inner}" height="${inner}" fill="none" stroke="${stroke}"/>`,
    `<line x1="${sx(lo)}" y1="${sy(lo)}" x2="${sx(hi)}" y2="${
      sy(hi)
    }" stroke="#999" stroke-dasharray="3,3"/>`,
    `<g fill="#1f77b4" fill-opacity="0.6">${dots.join("")}</g>`,
    `<text x="${PAD}" y="${SIZE - PAD + 12}" font-size="9">${formatTick(lo)}</text>`,
    `<text x="${SIZE - PAD}" y="${SIZE - PAD + 12}" font-size="9" text-anchor="end">${
      formatTick(hi)
    }</text>`,
    `<text x="${SIZE / 2}" y="${SIZE - 6}" font-size="9" text-anchor="middle">reference</text>`,
    `<text x="10" y="${SIZE / 2}" font-size="9" text-anchor="middle" transform="rotate(-90 10 ${
      SIZE / 2
    })">model</text>`,
    panel.caption === undefined
      ? ""
      : `<text x="${SIZE / 2}" y="${PAD - 6}" font-size="9" text-anchor="middle">${
        escapeHtml(panel.caption)
      }</text>`,
    `</g></svg>`,
  ].join("");
}

/**
 * Renders a whole report as one HTML document.
 *
 * @example Usage
 * ```ts
 * import { renderReport } from "./html.ts";
 * const html = renderReport("Jacobian check", [{
 *   heading: "model",
 *   panels: [{ title: "df1/dx1", reference: [1, 2], model: [1.1, 2] }],
 * }]);
 * if (!html.includes("<svg")) throw new Error("no plot");
 * ```
 */
export function renderReport(title: string, sections: readonly ReportSection[]): string {
  const body = sections.map((s) => {
    const columns = s.columns ?? 4;
    const panels = s.panels ?? [];
    const rows: string[] = [];
    for (let i = 0; i < panels.length; i += columns) {
      rows.push(
        `<div class="row">${panels.slice(i, i + columns).map(renderScatterSvg).join("")}</div>`,
      );
    }
    return [
      `<section><h2>${escapeHtml(s.heading)}</h2>`,
      ...(s.paragraphs ?? []).map((p) => `<p>${escapeHtml(p)}</p>`),
      s.preformatted === undefined ? "" : `<pre>${escapeHtml(s.preformatted)}</pre>`,
      ...rows,
      `</section>`,
    ].join("\n");
  });
  return [
    "<!DOCTYPE html>",
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>`,
    "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}" +
    "pre{font-size:12px;background:#f6f6f6;padding:1em;overflow-x:auto}.row{display:flex;flex-wrap:wrap}</style>",
    `</head><body><h1>${escapeHtml(title)}</h1>`,
    ...body,
    "</body></html>",
    "",
  ].join("\n");
}
