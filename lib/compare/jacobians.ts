/**
 * Entry-by-entry comparison of two Jacobian batches (a computed one against a
 * reference), with errors judged against the scale of each entry over the
 * data, not only relative to its own value, and an allclose pass/fail per
 * entry in the spirit of OpenMDAO's `check_partials`.
 *
 * @module
 */
import type { Jacobians } from "../jacobian/types.ts";
import { finiteOrNull, flooredScale, rSquared, ZERO_SCALE_FALLBACK } from "./_stats.ts";

/** Default relative tolerance of {@linkcode compareJacobians}. */
export const DEFAULT_JACOBIAN_RTOL = 1e-3;
/** Default absolute tolerance of {@linkcode compareJacobians}, in units of each entry's scale. */
export const DEFAULT_JACOBIAN_ATOL = 1e-3;

/** Options of {@linkcode compareJacobians}. */
export interface CompareJacobiansOptions {
  /**
   * Relative tolerance of the pass test `|calc - ref| ≤ atol · scale_ij + rtol · |ref|`.
   * @default {1e-3}
   */
  rtol?: number;
  /**
   * Absolute tolerance of the pass test, as a fraction of the entry's scale
   * `scale_ij` (so entries near zero do not fail on relative error alone).
   * @default {1e-3}
   */
  atol?: number;
  /**
   * Floor of an entry's scale, as a fraction of the largest `|J_ref|` of its
   * output row: `scale_ij = max(range of ref_ij over the points, floorFraction · rowScale_i)`.
   * Keeps constant entries (e.g. `∂f2/∂x3 = 5`) meaningful. Also the guard of
   * the relative error near zero.
   * @default {1e-3}
   */
  floorFraction?: number;
  /**
   * Number of worst points kept per entry.
   * @default {3}
   */
  worst?: number;
}

/** A point where an entry is far from its reference. */
export interface WorstPoint {
  /** Point index `k`, 0-based. */
  readonly point: number;
  /** Computed value. */
  readonly calc: number;
  /** Reference value. */
  readonly ref: number;
  /** `|calc - ref|`. */
  readonly absError: number;
}

/** The comparison of one entry `∂y_i/∂x_j` over all points. */
export interface EntryComparison {
  /** `d<out>/d<in>`, e.g. `df1/dx2`. */
  readonly label: string;
  /** Output name (row `i`). */
  readonly output: string;
  /** Input name (column `j`). */
  readonly input: string;
  /** `max_k |calc - ref|`. */
  readonly maxAbsError: number;
  /** `max_k ref - min_k ref`. */
  readonly refRange: number;
  /** `scale_ij = max(refRange, floorFraction · rowScale_i)` (1 if both are zero). */
  readonly scale: number;
  /** `maxAbsError / scale_ij`. */
  readonly rangeNormalizedError: number;
  /** `maxAbsError / rowScale_i`. */
  readonly rowNormalizedError: number;
  /** `max_k |calc - ref| / max(|ref|, floorFraction · rowScale_i)`. */
  readonly relativeError: number;
  /**
   * R² of calc against ref over the points; `NaN` when the reference does not
   * vary beyond the floor (`refRange ≤ floorFraction · rowScale_i`).
   */
  readonly r2: number;
  /** Number of points failing `|calc - ref| ≤ atol · scale_ij + rtol · |ref|` (NaN fails). */
  readonly failures: number;
  /** `failures === 0`. */
  readonly pass: boolean;
  /** The worst points, largest error first. */
  readonly worst: readonly WorstPoint[];
}

/** The comparison of one output's row of entries. */
export interface OutputComparison {
  /** Output name. */
  readonly output: string;
  /** `rowScale_i = max over points and inputs |J_ref[i][j]|` (1 if zero). */
  readonly rowScale: number;
  /** `max over points and inputs |calc - ref| / rowScale_i`. */
  readonly rowNormalizedError: number;
  /** Every entry of the row passes. */
  readonly pass: boolean;
}

/** Result of {@linkcode compareJacobians}. */
export interface JacobianComparison {
  /** Number of points `N`. */
  readonly points: number;
  /** Output names, length `m`. */
  readonly outputs: readonly string[];
  /** Input names, length `n`. */
  readonly inputs: readonly string[];
  /** Tolerances used. */
  readonly rtol: number;
  /** Absolute tolerance used, in units of each entry's scale. */
  readonly atol: number;
  /** Floor fraction used. */
  readonly floorFraction: number;
  /** One per entry, output-major (`df1/dx1, df1/dx2, …`), length `m · n`. */
  readonly entries: readonly EntryComparison[];
  /** One per output, length `m`. */
  readonly perOutput: readonly OutputComparison[];
  /** The largest range-normalized error and its entry label. */
  readonly worstRangeNormalized: { readonly label: string; readonly value: number };
  /** The largest row-normalized error and its output. */
  readonly worstRowNormalized: { readonly output: string; readonly value: number };
  /** Every entry passes. */
  readonly allPass: boolean;
}

/**
 * Compares computed Jacobians with reference Jacobians entry by entry.
 *
 * For entry `(i, j)` over the `N` points, with `rowScale_i = max |J_ref[·][i][·]|`
 * and `scale_ij = max(range_k J_ref[k][i][j], floorFraction · rowScale_i)`:
 * max abs error, range-normalized error `max|calc - ref| / scale_ij`,
 * row-normalized error `max|calc - ref| / rowScale_i`, guarded relative error
 * `max |calc - ref| / max(|ref|, floorFraction · rowScale_i)`, R², the worst
 * points, and pass/fail in allclose form `|calc - ref| ≤ atol · scale_ij + rtol · |ref|`
 * at every point. Any `NaN` makes the entry fail.
 *
 * @param calc Computed Jacobians `[N, m, n]`.
 * @param ref Reference Jacobians `[N, m, n]`, same names in the same order.
 * @param options Tolerances, floor, number of worst points.
 * @returns Per-entry and per-output results and a summary.
 * @throws {TypeError} If the shapes differ.
 * @throws {RangeError} If the names differ, or an option is negative or not finite.
 *
 * @example Usage
 * ```ts
 * import { compareJacobians } from "./jacobians.ts";
 * const ref = { points: 2, outputs: ["f"], inputs: ["x"], values: new Float64Array([1, 3]) };
 * const calc = { ...ref, values: new Float64Array([1, 3.5]) };
 * const cmp = compareJacobians(calc, ref);
 * // range of the entry is 2, so the range-normalized error is 0.5 / 2
 * if (cmp.entries[0]!.rangeNormalizedError !== 0.25 || cmp.allPass) throw new Error("unexpected");
 * ```
 */
export function compareJacobians(
  calc: Jacobians,
  ref: Jacobians,
  options: CompareJacobiansOptions = {},
): JacobianComparison {
  const {
    rtol = DEFAULT_JACOBIAN_RTOL,
    atol = DEFAULT_JACOBIAN_ATOL,
    floorFraction = 1e-3,
    worst = 3,
  } = options;
  for (
    const [name, v] of [["rtol", rtol], ["atol", atol], ["floorFraction", floorFraction]] as const
  ) {
    if (!(v >= 0 && Number.isFinite(v))) {
      throw new RangeError(`Cannot compare Jacobians: ${name} ${v} is not a finite number ≥ 0`);
    }
  }
  if (!Number.isInteger(worst) || worst < 0) {
    throw new RangeError(`Cannot compare Jacobians: worst ${worst} is not an integer ≥ 0`);
  }
  checkAlike(calc, ref);
  const { points: N, outputs, inputs } = ref;
  const m = outputs.length;
  const n = inputs.length;
  const at = (k: number, i: number, j: number) => (k * m + i) * n + j;

  const entries: EntryComparison[] = [];
  const perOutput: OutputComparison[] = [];
  for (let i = 0; i < m; i++) {
    let rowMax = 0;
    for (let k = 0; k < N; k++) {
      for (let j = 0; j < n; j++) rowMax = Math.max(rowMax, Math.abs(ref.values[at(k, i, j)]!));
    }
    const rowScale = rowMax === 0 ? ZERO_SCALE_FALLBACK : rowMax;
    const guard = floorFraction * rowScale;
    const rowEntries: EntryComparison[] = [];
    for (let j = 0; j < n; j++) {
      const c = new Float64Array(N);
      const r = new Float64Array(N);
      for (let k = 0; k < N; k++) {
        c[k] = calc.values[at(k, i, j)]!;
        r[k] = ref.values[at(k, i, j)]!;
      }
      let lo = Infinity;
      let hi = -Infinity;
      let maxAbsError = 0;
      let relativeError = 0;
      for (let k = 0; k < N; k++) {
        lo = Math.min(lo, r[k]!);
        hi = Math.max(hi, r[k]!);
        const e = Math.abs(c[k]! - r[k]!);
        maxAbsError = Math.max(maxAbsError, e);
        relativeError = Math.max(relativeError, e / Math.max(Math.abs(r[k]!), guard));
      }
      const refRange = N > 0 ? hi - lo : 0;
      const scale = flooredScale(refRange, rowScale, floorFraction);
      let failures = 0;
      const errors: WorstPoint[] = [];
      for (let k = 0; k < N; k++) {
        const absError = Math.abs(c[k]! - r[k]!);
        if (!(absError <= atol * scale + rtol * Math.abs(r[k]!))) failures++;
        errors.push({ point: k, calc: c[k]!, ref: r[k]!, absError });
      }
      // NaN errors first, then largest first; ties keep point order.
      errors.sort((a, b) => key(b.absError) - key(a.absError) || a.point - b.point);
      const label = `d${outputs[i]}/d${inputs[j]}`;
      rowEntries.push({
        label,
        output: outputs[i]!,
        input: inputs[j]!,
        maxAbsError,
        refRange,
        scale,
        rangeNormalizedError: maxAbsError / scale,
        rowNormalizedError: maxAbsError / rowScale,
        relativeError,
        r2: refRange > floorFraction * rowScale ? rSquared(c, r) : NaN,
        failures,
        pass: failures === 0,
        worst: errors.slice(0, worst),
      });
    }
    entries.push(...rowEntries);
    perOutput.push({
      output: outputs[i]!,
      rowScale,
      rowNormalizedError: maxOf(rowEntries.map((e) => e.rowNormalizedError)),
      pass: rowEntries.every((e) => e.pass),
    });
  }
  const worstEntry = argMax(entries, (e) => e.rangeNormalizedError);
  const worstRow = argMax(perOutput, (o) => o.rowNormalizedError);
  return {
    points: N,
    outputs: [...outputs],
    inputs: [...inputs],
    rtol,
    atol,
    floorFraction,
    entries,
    perOutput,
    worstRangeNormalized: { label: worstEntry.label, value: worstEntry.rangeNormalizedError },
    worstRowNormalized: { output: worstRow.output, value: worstRow.rowNormalizedError },
    allPass: entries.every((e) => e.pass),
  };
}

/** Options of {@linkcode formatComparisonTable}. */
export interface FormatComparisonOptions {
  /**
   * Significant digits of the error columns.
   * @default {3}
   */
  digits?: number;
  /**
   * Append a summary line (worst range-normalized entry, worst row, passes).
   * @default {true}
   */
  summary?: boolean;
}

/**
 * An aligned plain-text table of a {@linkcode JacobianComparison}: one line per
 * entry with columns `entry`, `max abs`, `range-norm`, `row-norm`, `rel`, `R²`,
 * `pass`, then a summary line. `R²` is `n/a` for an entry whose reference is constant.
 *
 * @example Usage
 * ```ts
 * import { compareJacobians, formatComparisonTable } from "./jacobians.ts";
 * const ref = { points: 2, outputs: ["f1"], inputs: ["x1"], values: new Float64Array([1, 3]) };
 * const text = formatComparisonTable(compareJacobians(ref, ref));
 * if (!text.split("\n")[1]!.startsWith("df1/dx1")) throw new Error("unexpected table");
 * ```
 */
export function formatComparisonTable(
  cmp: JacobianComparison,
  options: FormatComparisonOptions = {},
): string {
  const { digits = 3, summary = true } = options;
  const sci = (v: number) =>
    Number.isFinite(v) ? v.toExponential(Math.max(0, digits - 1)) : String(v);
  const r2 = (v: number) => Number.isNaN(v) ? "n/a" : v.toFixed(Math.max(digits, 6));
  const header = ["entry", "max abs", "range-norm", "row-norm", "rel", "R²", "pass"];
  const rows = cmp.entries.map((e) => [
    e.label,
    sci(e.maxAbsError),
    sci(e.rangeNormalizedError),
    sci(e.rowNormalizedError),
    sci(e.relativeError),
    r2(e.r2),
    e.pass ? "yes" : `FAIL (${e.failures}/${cmp.points})`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) =>
      c === 0 || c === cells.length - 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)
    )
      .join("  ").trimEnd();
  const lines = [line(header), ...rows.map(line)];
  if (summary) {
    const passed = cmp.entries.filter((e) => e.pass).length;
    lines.push(
      `worst range-normalized ${
        sci(cmp.worstRangeNormalized.value)
      } (${cmp.worstRangeNormalized.label}), ` +
        `worst row-normalized ${
          sci(cmp.worstRowNormalized.value)
        } (${cmp.worstRowNormalized.output}), ` +
        `${passed} of ${cmp.entries.length} entries pass (rtol ${cmp.rtol}, atol ${cmp.atol} × entry scale)`,
    );
  }
  return lines.join("\n");
}

/**
 * A JSON-ready copy of a {@linkcode JacobianComparison}: the same fields, with
 * non-finite numbers (`NaN` R² of constant entries, infinite errors) as `null`.
 *
 * @example Usage
 * ```ts
 * import { compareJacobians, comparisonToJson } from "./jacobians.ts";
 * const ref = { points: 1, outputs: ["f"], inputs: ["x"], values: new Float64Array([5]) };
 * const json = comparisonToJson(compareJacobians(ref, ref)) as { entries: { r2: null }[] };
 * if (json.entries[0]!.r2 !== null) throw new Error("expected null for a constant entry");
 * ```
 */
export function comparisonToJson(cmp: JacobianComparison): Record<string, unknown> {
  return finiteOrNull(cmp) as Record<string, unknown>;
}

function checkAlike(calc: Jacobians, ref: Jacobians): void {
  const shape = (j: Jacobians) => `[${j.points}, ${j.outputs.length}, ${j.inputs.length}]`;
  if (
    calc.points !== ref.points || calc.outputs.length !== ref.outputs.length ||
    calc.inputs.length !== ref.inputs.length
  ) {
    throw new TypeError(
      `Cannot compare Jacobians: shape ${shape(calc)} against reference ${shape(ref)}`,
    );
  }
  if (ref.outputs.length === 0 || ref.inputs.length === 0) {
    throw new RangeError("Cannot compare Jacobians: no outputs or no inputs");
  }
  const expected = ref.points * ref.outputs.length * ref.inputs.length;
  for (const [what, j] of [["computed", calc], ["reference", ref]] as const) {
    if (j.values.length !== expected) {
      throw new TypeError(
        `Cannot compare Jacobians: the ${what} values have length ${j.values.length}, expected ${expected}`,
      );
    }
  }
  for (
    const [side, a, b] of [["output", calc.outputs, ref.outputs], [
      "input",
      calc.inputs,
      ref.inputs,
    ]] as const
  ) {
    a.forEach((name, idx) => {
      if (name !== b[idx]) {
        throw new RangeError(
          `Cannot compare Jacobians: ${side} ${idx + 1} is "${name}" but "${
            b[idx]
          }" in the reference`,
        );
      }
    });
  }
}

function key(e: number): number {
  return Number.isNaN(e) ? Infinity : e;
}

function maxOf(values: readonly number[]): number {
  return values.reduce((a, b) => Math.max(a, b), 0);
}

function argMax<T>(items: readonly T[], score: (item: T) => number): T {
  let best = items[0] as T;
  for (const item of items) if (key(score(item)) > key(score(best))) best = item;
  return best;
}
