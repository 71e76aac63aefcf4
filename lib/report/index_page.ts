/**
 * `index.html` of `verify`: one summary row per model (verdict, cause, key
 * numbers) linking to its `report.html`.
 *
 * @module
 */
import { join } from "node:path";
import type { CheckResult } from "../check/check.ts";
import type { OracleParity } from "../check/oracle.ts";
import { formatNumber, formatR2 } from "./figures.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { type Cell, escapeHtml, renderPage, renderTable } from "./html.ts";
import { CAUSE_HEADLINES, type Status } from "./status.ts";

/** One model of the index. */
export interface IndexEntry {
  /** Model name (the folder under `data/models/`, or the file's base name). */
  readonly name: string;
  /** Link to its report, relative to the index (e.g. `fastkan/report.html`). */
  readonly href: string;
  readonly check: CheckResult;
  /** Its status block (the same as in its report and `metrics.json`). */
  readonly status: Status;
  readonly parity?: OracleParity;
}

/**
 * Renders the index: a sentence per overall result, then a table with one row
 * per model — status in words, verdict (cause when known), autodiff vs finite
 * differences, chain rule, PyTorch parity, smallest value R², derivative error
 * — each model name linking to its report.
 */
export function renderVerifyIndex(
  entries: readonly IndexEntry[],
  options: { title?: string; subtitle?: string } = {},
): string {
  const failing = entries.filter((e) => e.status.outcome === "fail").length;
  const rows: Cell[][] = entries.map((e) => {
    const c = e.check.comparisons;
    const p = e.parity;
    const measures = p
      ? [p.forwardOrt, p.forwardTf, p.autodiff, p.finiteDifferences, p.graph, p.graph64]
        .filter((x) => x !== undefined)
      : [];
    const parity = measures.length > 0 ? Math.max(...measures.map((x) => x.value)) : NaN;
    const parityPass = measures.every((x) => x.pass);
    const minR2 = e.check.values.outputs.reduce((a, b) => (!(b.r2 >= a.r2) ? b : a));
    const failed = e.status.lines.filter((l) => l.outcome === "fail").map((l) => l.title);
    return [
      { text: e.name, html: `<a href="${escapeHtml(e.href)}">${escapeHtml(e.name)}</a>` },
      {
        text: e.status.outcome === "pass"
          ? "✓ all pass"
          : `✗ fails: ${failed.join(", ").toLowerCase()}`,
        className: e.status.outcome === "pass" ? "ok" : "bad",
      },
      e.status.cause !== undefined
        ? {
          text: `${e.status.cause}: ${CAUSE_HEADLINES[e.status.cause]}`,
          html: `<strong>${escapeHtml(e.status.cause)}</strong>: ${
            escapeHtml(CAUSE_HEADLINES[e.status.cause])
          }`,
        }
        : e.status.headline,
      formatNumber(
        Math.max(
          c.differentiation.worstRangeNormalized.value,
          c.graphDifferentiation?.worstRangeNormalized.value ?? 0,
        ),
      ),
      formatNumber(c.scaling.worstRowNormalized.value),
      p ? `${formatNumber(parity)} ${parityPass ? "(pass)" : "(FAIL)"}` : "not checked",
      `${formatR2(minR2.r2)} (${minR2.name})`,
      `${formatNumber(c.fit.worstRowNormalized.value)} (${c.fit.worstRowNormalized.output})`,
    ];
  });
  const body = [
    `<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>`,
    `<p>${entries.length} model${entries.length === 1 ? "" : "s"} checked; ${
      failing === 0
        ? "every tested question passes for all of them"
        : `${failing} with at least one failing question`
    }. Open a model's report for the figures.</p>`,
    renderTable({
      caption: "One row per model",
      head: [
        "model",
        "status",
        "verdict (cause)",
        "engines vs FD (range-norm)",
        "chain rule (row-norm)",
        "vs PyTorch (worst)",
        "smallest value R²",
        "derivative error (row-norm)",
      ],
      numeric: [3, 4, 5, 6, 7],
      rows,
    }),
    `<p class="sub">Engines vs FD: float32 autodiff and the float32 derivative graph against float64 central differences, the worse of the two, worst entry, fraction of its range. Chain rule: the hand chain rule on the scaling file's constants against autodiff through the composition, fraction of the row's largest |J|. vs PyTorch: the worst of the forward and Jacobian parities with PyTorch's saved values. Derivative error: the model's Jacobian against the reference, worst row, fraction of its largest |∂f/∂x|.</p>`,
    "</section>",
  ].join("\n");
  return renderPage({
    title: options.title ?? "partials verify",
    ...(options.subtitle !== undefined ? { subtitle: options.subtitle } : {}),
    body,
  });
}

/**
 * Writes `index.html` into `dir` atomically.
 *
 * @returns The path written.
 */
export async function writeVerifyIndex(
  dir: string,
  entries: readonly IndexEntry[],
  options: { title?: string; subtitle?: string } = {},
): Promise<string> {
  const path = join(dir, "index.html");
  await writeFileAtomic(path, renderVerifyIndex(entries, options));
  return path;
}
