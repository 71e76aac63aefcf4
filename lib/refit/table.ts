/**
 * The before/after table of a refit, as text.
 *
 * @module
 */
import type { RefitMetrics } from "./metrics.ts";

/**
 * One row per output: worst row-normalized Jacobian error before → after and
 * their ratio, the median over points before → after, value R² before → after.
 *
 * @param before Metrics of the starting model.
 * @param after Metrics of the refit model on the same points.
 * @returns Aligned plain-text columns.
 *
 * @example Usage
 * ```ts
 * import { formatRefitTable } from "./table.ts";
 * const m = (e: number, r2: number) => ({
 *   points: 1, entries: [],
 *   outputs: [{
 *     output: "f1", r2, valueRangeNormalizedError: 0,
 *     jacobianRowNormalizedError: e, jacobianRowNormalizedMedian: e / 10,
 *   }],
 * });
 * const text = formatRefitTable(m(1, 0.9), m(0.1, 0.95));
 * if (!text.includes("10.0x")) throw new Error(text);
 * ```
 */
export function formatRefitTable(before: RefitMetrics, after: RefitMetrics): string {
  const header = [
    "output",
    "worst J error (row-norm.)",
    "",
    "",
    "ratio",
    "median",
    "",
    "",
    "value R²",
    "",
    "",
  ];
  const rows = before.outputs.map((b, i) => {
    const a = after.outputs[i]!;
    const ratio = b.jacobianRowNormalizedError / a.jacobianRowNormalizedError;
    return [
      b.output,
      fmt(b.jacobianRowNormalizedError),
      "→",
      fmt(a.jacobianRowNormalizedError),
      Number.isFinite(ratio) ? `${ratio.toFixed(1)}x` : "-",
      fmt(b.jacobianRowNormalizedMedian),
      "→",
      fmt(a.jacobianRowNormalizedMedian),
      b.r2.toFixed(5),
      "→",
      a.r2.toFixed(5),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return "-";
  return Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2);
}
