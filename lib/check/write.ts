/**
 * The files `check` writes, in the user's own layouts, and its terminal text.
 *
 * - `jacobian_results.csv`: the input columns, then for every output `f` and
 *   input `x` (output-major) `df_dx` (the model, physical units) and
 *   `df_dx_true` (the reference) — the layout of the report's script.
 * - `prediction.csv`: the input columns, `Predicted_<out>`, then `True_<out>`.
 * - `metrics.json`: every comparison, the verdict, the graph diagnostics.
 * - `report.html`: the diagnosis, the tables and a scatter plot per entry.
 *
 * @module
 */
import { join } from "node:path";
import { comparisonToJson, formatComparisonTable } from "../compare/jacobians.ts";
import { valueComparisonToJson } from "../compare/values.ts";
import { diagnosticsToJson, formatDiagnostics } from "../diagnose/format.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { formatNumericCsv, type NumericTable } from "../io/table.ts";
import { jacobianColumnName } from "../jacobian/types.ts";
import { renderReport, type ScatterPanel } from "../report/html.ts";
import type { CheckResult } from "./check.ts";
import { CHECK_TOLERANCES } from "./check.ts";

/** The `jacobian_results.csv` table: inputs, then `d<out>_d<in>` and `d<out>_d<in>_true` pairs. */
export function jacobianResultsTable(r: CheckResult): NumericTable {
  const n = r.inputs.length;
  const m = r.outputs.length;
  const columns = [...r.inputs];
  for (const out of r.outputs) {
    for (const inp of r.inputs) {
      const name = jacobianColumnName(out, inp);
      columns.push(name, `${name}_true`);
    }
  }
  const width = columns.length;
  const data = new Float64Array(r.points * width);
  const model = r.jacobians.autodiff.values;
  const ref = r.jacobians.reference.values;
  for (let k = 0; k < r.points; k++) {
    const row = k * width;
    data.set(r.x.subarray(k * n, (k + 1) * n), row);
    for (let e = 0; e < m * n; e++) {
      data[row + n + 2 * e] = model[k * m * n + e]!;
      data[row + n + 2 * e + 1] = ref[k * m * n + e]!;
    }
  }
  return { columns, rows: r.points, data };
}

/** The `prediction.csv` table: inputs, `Predicted_<out>`, `True_<out>`. */
export function predictionTable(r: CheckResult): NumericTable {
  const n = r.inputs.length;
  const m = r.outputs.length;
  const columns = [
    ...r.inputs,
    ...r.outputs.map((o) => `Predicted_${o}`),
    ...r.outputs.map((o) => `True_${o}`),
  ];
  const width = columns.length;
  const data = new Float64Array(r.points * width);
  for (let k = 0; k < r.points; k++) {
    data.set(r.x.subarray(k * n, (k + 1) * n), k * width);
    data.set(r.predicted.subarray(k * m, (k + 1) * m), k * width + n);
    data.set(r.trueValues.subarray(k * m, (k + 1) * m), k * width + n + m);
  }
  return { columns, rows: r.points, data };
}

/** `metrics.json` content. */
export function checkMetrics(r: CheckResult): Record<string, unknown> {
  return {
    model: r.model,
    points: r.points,
    droppedRows: r.droppedRows,
    droppedReasons: r.droppedReasons,
    inputs: r.inputs,
    outputs: r.outputs,
    referenceExact: r.referenceExact,
    tolerances: CHECK_TOLERANCES,
    verdict: r.verdict,
    values: valueComparisonToJson(r.values),
    scaling: comparisonToJson(r.comparisons.scaling),
    differentiation: comparisonToJson(r.comparisons.differentiation),
    fit: comparisonToJson(r.comparisons.fit),
    ...(r.diagnostics ? { diagnostics: diagnosticsToJson(r.diagnostics) } : {}),
  };
}

/** Terminal text: the fit table, the consistency lines, the diagnostics and the diagnosis. */
export function formatCheckResult(r: CheckResult): string {
  const lines = [
    `Model vs analytic reference (${r.points} points; autodiff, physical units):`,
    formatComparisonTable(r.comparisons.fit),
    "",
    `Value fit: ${r.values.outputs.map((o) => `${o.name} R² ${o.r2.toFixed(4)}`).join(", ")}`,
  ];
  if (r.droppedRows.length > 0) {
    lines.push(
      `Skipped ${r.droppedRows.length} rows where the reference is undefined (first: row ${
        r.droppedRows[0]! + 1
      }, ${r.droppedReasons[0]})`,
    );
  }
  if (r.diagnostics) lines.push("", formatDiagnostics(r.diagnostics));
  lines.push("", `Diagnosis: ${r.verdict.diagnosis}`);
  return lines.join("\n");
}

/** Scatter panels, one per entry: model vs reference over the points. */
export function scatterPanels(r: CheckResult): ScatterPanel[] {
  const n = r.inputs.length;
  const m = r.outputs.length;
  return r.comparisons.fit.entries.map((entry, e) => {
    const model = new Float64Array(r.points);
    const ref = new Float64Array(r.points);
    for (let k = 0; k < r.points; k++) {
      model[k] = r.jacobians.autodiff.values[k * m * n + e]!;
      ref[k] = r.jacobians.reference.values[k * m * n + e]!;
    }
    return {
      title: entry.label,
      reference: ref,
      model,
      caption: `range-norm ${entry.rangeNormalizedError.toExponential(1)}`,
      failed: entry.rangeNormalizedError > CHECK_TOLERANCES.fit,
    };
  });
}

/**
 * Writes `jacobian_results.csv`, `prediction.csv`, `metrics.json` and
 * `report.html` into `dir` (created if needed), each atomically.
 *
 * @returns The paths written.
 */
export async function writeCheckOutputs(r: CheckResult, dir: string): Promise<string[]> {
  const files: [string, string][] = [
    ["jacobian_results.csv", formatNumericCsv(jacobianResultsTable(r))],
    ["prediction.csv", formatNumericCsv(predictionTable(r))],
    ["metrics.json", JSON.stringify(checkMetrics(r), null, 2) + "\n"],
    [
      "report.html",
      renderReport(`Jacobian check of ${r.model}`, [
        {
          heading: "Diagnosis",
          paragraphs: [r.verdict.diagnosis],
          preformatted: [
            formatComparisonTable(r.comparisons.fit),
            "",
            "Scaling (composed autodiff vs chain rule):",
            formatComparisonTable(r.comparisons.scaling),
            "",
            "Differentiation (autodiff vs float64 finite differences):",
            formatComparisonTable(r.comparisons.differentiation),
            ...(r.diagnostics ? ["", formatDiagnostics(r.diagnostics)] : []),
          ].join("\n"),
        },
        {
          heading: "Model vs reference, per Jacobian entry (physical units)",
          paragraphs: ["Each dot is one point; a perfect model lies on the dashed diagonal."],
          panels: scatterPanels(r),
          columns: r.inputs.length,
        },
      ]),
    ],
  ];
  const written: string[] = [];
  for (const [name, content] of files) {
    const path = join(dir, name);
    await writeFileAtomic(path, content);
    written.push(path);
  }
  return written;
}
