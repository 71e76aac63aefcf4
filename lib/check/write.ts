/**
 * The files `check` writes, in the user's own layouts, and its terminal text.
 *
 * - `jacobian_results.csv`: the input columns, then for every output `f` and
 *   input `x` (output-major) `df_dx` (the model, physical units) and
 *   `df_dx_true` (the reference) — the layout of the report's script.
 * - `prediction.csv`: the input columns, `Predicted_<out>`, then `True_<out>`.
 * - `metrics.json`: every comparison, the verdict (`verdict.cause`,
 *   `verdict.causes`, `verdict.scaling.suspects`, `verdict.userJacobian`, the
 *   findings and audits) and the status block, the graph diagnostics, and (with
 *   PyTorch's values) the parity and the finite-difference step sweep. Point
 *   indices are 1-based (`pointIndexBase: 1`), as the CSV rows a user sees.
 * - `report.html`: the status block, figures and tables (`lib/report`).
 *
 * @module
 */
import { join } from "node:path";
import { comparisonToJson, formatComparisonTable } from "../compare/jacobians.ts";
import { valueComparisonToJson } from "../compare/values.ts";
import { diagnosticsToJson, formatDiagnostics } from "../diagnose/format.ts";
import { writeFilesAtomic } from "../io/atomic.ts";
import { formatNumericCsv, type NumericTable } from "../io/table.ts";
import { jacobianColumnName } from "../jacobian/types.ts";
import { renderCheckReport } from "../report/check_report.ts";
import { checkStatus, statusToJson } from "../report/status.ts";
import type { StepSweepRow } from "../jacobian/finite_differences.ts";
import { formatVerdict } from "../verdict/verdict.ts";
import type { CheckResult } from "./check.ts";
import { CHECK_TOLERANCES } from "./check.ts";
import type { OracleParity } from "./oracle.ts";

/** What `verify` adds to a check's outputs when PyTorch's own values are known. */
export interface CheckExtras {
  /** The toolkit's engines against PyTorch's saved values. */
  parity?: OracleParity;
  /** The float64 finite differences' error against PyTorch per step. */
  sweep?: readonly StepSweepRow[];
}

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
  const model = r.jacobians.model.values;
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

/**
 * `metrics.json` content: every comparison, the verdict, `status` (the status
 * block's lines with their numbers and thresholds), the diagnostics, and with
 * `extras` `parity` (worst error, where, threshold, pass per engine) and
 * `stepSweep` (`[{ step, maxAbsError, maxRelativeError }]`, step as a fraction
 * of each input's range).
 */
export function checkMetrics(r: CheckResult, extras: CheckExtras = {}): Record<string, unknown> {
  const status = checkStatus(r, extras.parity ? { parity: extras.parity } : {});
  return jsonReady({
    model: r.model,
    points: r.points,
    pointIndexBase: 1,
    droppedRows: r.droppedRows.map((k) => k + 1),
    droppedReasons: r.droppedReasons,
    inputs: r.inputs,
    outputs: r.outputs,
    referenceExact: r.referenceExact,
    tolerances: { ...CHECK_TOLERANCES, ...r.verdict.tolerances },
    verdict: verdictToJson(r),
    status: statusToJson(status),
    values: valueComparisonToJson(r.values),
    scaling: oneBased(comparisonToJson(r.comparisons.scaling)),
    differentiation: oneBased(comparisonToJson(r.comparisons.differentiation)),
    ...(r.comparisons.graphDifferentiation
      ? { graphDifferentiation: oneBased(comparisonToJson(r.comparisons.graphDifferentiation)) }
      : {}),
    fit: oneBased(comparisonToJson(r.comparisons.fit)),
    ...(r.corrected
      ? {
        corrected: {
          values: valueComparisonToJson(r.corrected.values),
          fit: oneBased(comparisonToJson(r.corrected.fit)),
        },
      }
      : {}),
    ...(r.diagnostics ? { diagnostics: diagnosticsToJson(r.diagnostics) } : {}),
    ...(extras.parity ? { parity: JSON.parse(JSON.stringify(extras.parity)) } : {}),
    ...(extras.sweep
      ? {
        stepSweep: extras.sweep.map((s) => ({
          step: s.step,
          maxAbsError: s.maxAbsError,
          maxRelativeError: s.maxRelativeError,
        })),
      }
      : {}),
  }) as Record<string, unknown>;
}

/**
 * The short form of {@linkcode checkMetrics} that `check --json` and `verify
 * --json` print: the same fields without the per-entry comparisons, the graph
 * diagnostics and the step sweep; each comparison (`scaling`,
 * `differentiation`, `fit`) is its worst entry (range-normalized), worst output
 * row (row-normalized) and whether every entry passes.
 */
export function checkSummary(r: CheckResult, extras: CheckExtras = {}): Record<string, unknown> {
  const full = checkMetrics(r, extras);
  const { diagnostics: _diagnostics, stepSweep: _sweep, corrected: _corrected, ...summary } = full;
  const worst = (c: CheckResult["comparisons"]["fit"]) => ({
    allPass: c.allPass,
    worstRangeNormalized: c.worstRangeNormalized,
    worstRowNormalized: c.worstRowNormalized,
  });
  return jsonReady({
    ...summary,
    scaling: worst(r.comparisons.scaling),
    differentiation: worst(r.comparisons.differentiation),
    fit: worst(r.comparisons.fit),
  }) as Record<string, unknown>;
}

/**
 * `metrics.json`'s `verdict`: `cause`, `causes`, the sentence, action and
 * evidence, the findings, and per audit what it measured — `scaling`
 * (`suspects[]` with `variable`, `side`, `kind`, `file`, `implied`, `with`,
 * `evidence`; every row's implied constants; the swap searches; the data
 * audit), `userJacobian` (when `--jacobian` was given: `hypothesis`, `factor`,
 * `errors` per hypothesis, `formula`) and `structure`.
 */
export function verdictToJson(r: CheckResult): Record<string, unknown> {
  const v = r.verdict;
  const { scaling, data, userJacobian, structure } = r.audits;
  return {
    cause: v.cause,
    causes: v.causes,
    summary: v.summary,
    action: v.action,
    evidence: v.evidence,
    pointIndexBase: v.pointIndexBase,
    tolerances: v.tolerances,
    findings: v.findings,
    scaling: {
      suspects: v.scaling.suspects,
      audited: scaling.tested,
      tested: scaling.tested
        ? "the file's constants against the reference's values through the model"
        : String(scaling.outputFinding.detail["absent"] ?? "not tested"),
      errorFile: scaling.errorFile,
      errorCorrected: scaling.errorCorrected,
      share: scaling.share,
      fit: scaling.fit,
      rows: scaling.rows,
      outputSwap: scaling.outputSwap,
      ...(scaling.inputSwap ? { inputSwap: scaling.inputSwap } : {}),
      correctedR2: scaling.corrected.outputs.map((s, i) => ({
        name: s.name,
        r2: scaling.correctedR2[i],
      })),
      data: data
        ? {
          file: data.source,
          rows: data.rows,
          columns: data.columns,
          outsideShare: data.outsideShare,
          outsidePoints: data.outsidePoints,
          missingOutputs: data.missingOutputs,
        }
        : null,
    },
    ...(v.userJacobian && userJacobian
      ? {
        userJacobian: {
          ...v.userJacobian,
          file: userJacobian.source,
          points: userJacobian.points,
          errors: userJacobian.errors,
          fittedFactor: userJacobian.factor,
          ...(userJacobian.referenceError !== undefined
            ? { referenceError: userJacobian.referenceError }
            : {}),
        },
      }
      : {}),
    structure: {
      ...(structure.layerNorm ? { layerNorm: structure.layerNorm } : {}),
      probes: structure.probes,
    },
    scalingConsistent: v.scalingConsistent,
    differentiationCorrect: v.differentiationCorrect,
    fitDerivativesGood: v.fitDerivativesGood,
    diagnosis: v.diagnosis,
  };
}

/** A comparison's JSON with its worst points 1-based. */
function oneBased(json: Record<string, unknown>): Record<string, unknown> {
  const entries = json.entries as { worst: { point: number }[] }[];
  return {
    ...json,
    entries: entries.map((e) => ({
      ...e,
      worst: e.worst.map((w) => ({ ...w, point: w.point + 1 })),
    })),
  };
}

/** A deep copy fit for JSON: non-finite numbers become `null`. */
function jsonReady(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)),
  );
}

/** Terminal text: the verdict first, then the fit table, the value fit, the diagnostics. */
export function formatCheckResult(r: CheckResult): string {
  const lines = [
    formatVerdict(r.verdict),
    "",
    `Model vs analytic reference (${r.points} points; ${
      r.method.used === "graph" ? "derivative graph" : "autodiff"
    }, physical units, the file's constants):`,
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
  return lines.join("\n");
}

/**
 * Writes `jacobian_results.csv`, `prediction.csv`, `metrics.json` and
 * `report.html` into `dir` (created if needed), atomically as a set (all are
 * written to temporary files first, then renamed into place); `extras`
 * (PyTorch parity, step sweep) go into `metrics.json` and the report.
 *
 * @returns The paths written.
 */
export async function writeCheckOutputs(
  r: CheckResult,
  dir: string,
  extras: CheckExtras = {},
): Promise<string[]> {
  const files: [string, string][] = [
    ["jacobian_results.csv", formatNumericCsv(jacobianResultsTable(r))],
    ["prediction.csv", formatNumericCsv(predictionTable(r))],
    ["metrics.json", JSON.stringify(checkMetrics(r, extras), null, 2) + "\n"],
    ["report.html", renderCheckReport(r, extras)],
  ];
  const targets = files.map(([name, content]) => [join(dir, name), content] as const);
  await writeFilesAtomic(targets);
  return targets.map(([path]) => path);
}
