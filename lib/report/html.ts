/**
 * The HTML of the reports: one self-contained page (inline CSS and SVG, no
 * script, no external resource), real `<table>` markup that stacks its cells
 * below 700 px, figures with captions, the status block, and a print
 * stylesheet.
 *
 * @module
 */
import type { Figure } from "./figures.ts";
import type { Status, StatusLine } from "./status.ts";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const CSS = `
:root{color-scheme:light}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1a1a1a;background:#fff}
main{max-width:1440px;margin:0 auto;padding:12px clamp(10px,3vw,32px) 40px}
h1{font-size:clamp(1.25rem,4.5vw,1.9rem);line-height:1.2;margin:.4em 0 .2em}
h2{font-size:1.3rem;margin:1.6em 0 .4em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1.05rem;margin:1.2em 0 .3em}
h1,h2,h3,p,li,figcaption,code{overflow-wrap:anywhere}
td,th{overflow-wrap:break-word}
p{max-width:75ch}
code{font-size:.92em;background:#f3f3f3;padding:0 .2em;border-radius:3px}
.sub{color:#555;margin:0 0 1em}
nav ul{display:flex;flex-wrap:wrap;gap:.3em 1em;padding:0;margin:.5em 0;list-style:none;font-size:14px}
.status{border:2px solid #1b7a3a;background:#f3fbf5;border-radius:8px;padding:10px 16px;margin:1em 0}
.status.fail{border-color:#b00020;background:#fff6f7}
.status .verdict{font-size:1.15rem;font-weight:600;margin:.2em 0 .5em;max-width:none}
.status ul{list-style:none;padding:0;margin:0}
.status li{padding:.35em 0;border-top:1px solid rgba(0,0,0,.08)}
.mark{display:inline-block;min-width:4.6em;font-weight:700}
li.pass .mark,.ok{color:#1b7a3a}
li.fail .mark,.bad{color:#b00020}
li.untested .mark{color:#666}
.q{font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:14px 18px;align-items:start}
@media (min-width:1100px){.grid.cols{grid-template-columns:repeat(var(--cols),minmax(0,1fr))}}
figure{margin:0;min-width:0}
figure svg{display:block;max-width:100%;height:auto}
figure.wide svg{max-width:min(100%,640px)}
figcaption{font-size:13px;color:#333;margin-top:.2em}
.legend{font-size:13px;margin:.3em 0}
.legend span{margin-right:1em;white-space:nowrap}
table{border-collapse:collapse;width:auto;max-width:100%;font-size:14px;margin:.4em 0 1em}
caption{text-align:left;font-weight:600;padding:.3em 0;caption-side:top}
th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #999;background:#fafafa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
@media (max-width:700px){
  .grid{grid-template-columns:minmax(0,1fr)}
  table.stack{width:100%}
  table.stack thead{display:none}
  table.stack tr{display:block;border-bottom:2px solid #bbb;padding:.3em 0}
  table.stack td,table.stack th[scope=row]{display:grid;grid-template-columns:minmax(6.5em,42%) minmax(0,1fr);gap:.6em;border:0;padding:2px 4px;text-align:left;white-space:normal}
  table.stack td::before,table.stack th[scope=row]::before{content:attr(data-label);font-weight:600;color:#444}
}
@media print{
  nav{display:none}
  body{font-size:10.5pt}
  main{max-width:none;padding:0}
  figure,tr,.status li{break-inside:avoid}
  h2{break-after:avoid}
  .grid,.grid.cols{grid-template-columns:repeat(3,minmax(0,1fr))}
  a{color:inherit;text-decoration:none}
}
`;

/** Input of {@linkcode renderPage}. */
export interface PageInput {
  /** `<title>` and `<h1>`. */
  readonly title: string;
  /** A line under the title (file, points, date). */
  readonly subtitle?: string;
  /** In-page links, `[id, text]`. */
  readonly nav?: readonly (readonly [string, string])[];
  /** The body HTML (already escaped). */
  readonly body: string;
}

/**
 * A whole page: doctype, `lang`, viewport, inline CSS with a print stylesheet,
 * and the body inside `<main>`. No script and no external resource.
 */
export function renderPage(input: PageInput): string {
  const nav = input.nav && input.nav.length > 0
    ? `<nav aria-label="Contents"><ul>${
      input.nav.map(([id, text]) => `<li><a href="#${escapeHtml(id)}">${escapeHtml(text)}</a></li>`)
        .join("")
    }</ul></nav>`
    : "";
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${CSS.trim()}</style>`,
    "</head><body><main>",
    `<h1>${escapeHtml(input.title)}</h1>`,
    input.subtitle === undefined ? "" : `<p class="sub">${escapeHtml(input.subtitle)}</p>`,
    nav,
    input.body,
    "</main></body></html>",
    "",
  ].join("\n");
}

/** A table cell: text, or text with a class (`num` right-aligns numbers; `ok`/`bad` colour). */
export type Cell = string | {
  readonly text: string;
  readonly className?: string;
  readonly html?: string;
};

/** Input of {@linkcode renderTable}. */
export interface TableInput {
  readonly caption?: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Column indices right-aligned as numbers. @default {[]} */
  readonly numeric?: readonly number[];
  /** The first cell of each row is its header (`<th scope="row">`). @default {true} */
  readonly rowHeaders?: boolean;
}

/**
 * A real `<table>` with `<caption>`, `<thead>` and `scope`d headers; below
 * 700 px each row stacks, every cell labelled by its column (`data-label`).
 */
export function renderTable(input: TableInput): string {
  const numeric = new Set(input.numeric ?? []);
  const rowHeaders = input.rowHeaders ?? true;
  const head = input.head.map((h, c) =>
    `<th scope="col"${numeric.has(c) ? ' class="num"' : ""}>${escapeHtml(h)}</th>`
  ).join("");
  const body = input.rows.map((row) =>
    `<tr>${
      row.map((cell, c) => {
        const text = typeof cell === "string" ? cell : cell.text;
        const cls = [
          numeric.has(c) ? "num" : "",
          typeof cell === "string" ? "" : cell.className ?? "",
        ]
          .filter(Boolean).join(" ");
        const content = typeof cell !== "string" && cell.html !== undefined
          ? cell.html
          : escapeHtml(text);
        const tag = rowHeaders && c === 0 ? 'th scope="row"' : "td";
        return `<${tag}${cls ? ` class="${cls}"` : ""} data-label="${
          escapeHtml(input.head[c] ?? "")
        }">${content}</${tag.split(" ")[0]}>`;
      }).join("")
    }</tr>`
  ).join("\n");
  return `<table class="stack">${
    input.caption ? `<caption>${escapeHtml(input.caption)}</caption>` : ""
  }<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A figure with its caption; `wide` figures are not stretched past 640 px. */
export function renderFigure(
  figure: Figure,
  caption: string,
  options: { wide?: boolean; captionHtml?: string } = {},
): string {
  return `<figure${options.wide ? ' class="wide"' : ""}>${figure.svg}<figcaption>${
    options.captionHtml ?? escapeHtml(caption)
  }</figcaption></figure>`;
}

/** A grid of figures, `columns` per row on wide screens (auto-fill otherwise). */
export function renderGrid(figures: readonly string[], columns?: number): string {
  return columns === undefined
    ? `<div class="grid">${figures.join("")}</div>`
    : `<div class="grid cols" style="--cols:${columns}">${figures.join("")}</div>`;
}

const MARKS: Record<StatusLine["outcome"], [string, string]> = {
  pass: ["✓", "pass"],
  fail: ["✗", "fail"],
  "not tested": ["–", "not tested"],
};

/** The status block: the verdict sentence, then one line per question with ✓/✗ and the word. */
export function renderStatus(status: Status): string {
  const items = status.lines.map((l) => {
    const [glyph, word] = MARKS[l.outcome];
    const cls = l.outcome === "not tested" ? "untested" : l.outcome;
    return `<li class="${cls}" data-question="${l.question}" data-outcome="${l.outcome}">` +
      `<span class="mark"><span aria-hidden="true">${glyph}</span> ${word}</span> ` +
      `<span class="q">${escapeHtml(l.title)}:</span> ${escapeHtml(l.text)}</li>`;
  }).join("\n");
  const overall = status.outcome === "pass" ? "pass" : "fail";
  return `<section id="status" class="status ${overall}" aria-labelledby="status-h">` +
    `<h2 id="status-h" style="border:0;margin:.2em 0">Status: ${
      overall === "pass" ? "all tested questions pass" : "at least one question fails"
    }</h2>` +
    `<p class="verdict" data-cause="${escapeHtml(status.cause ?? "")}">Verdict: ${
      escapeHtml(status.headline)
    }</p>` +
    (status.summary ? `<p>${escapeHtml(status.summary)}</p>` : "") +
    (status.action ? `<p><strong>What to do:</strong> ${escapeHtml(status.action)}</p>` : "") +
    (status.causes && status.causes.length > 1
      ? `<p>All causes found, in decision order: ${escapeHtml(status.causes.join(", "))}</p>`
      : "") +
    `<ul>${items}</ul></section>`;
}

/** An HTML legend for series drawn with {@linkcode SERIES_COLORS} and glyphs. */
export function renderLegend(
  names: readonly string[],
  colors: readonly string[],
  glyphs: readonly string[],
): string {
  return `<p class="legend">${
    names.map((n, i) =>
      `<span><span style="color:${colors[i % colors.length]}" aria-hidden="true">${
        glyphs[i % glyphs.length]
      }</span> ${escapeHtml(n)}</span>`
    ).join("")
  }</p>`;
}
