/**
 * Per-output comparison of forward predictions with reference values.
 *
 * @module
 */
import { finiteOrNull, flooredScale, rSquared } from "./_stats.ts";

/** Options of {@linkcode compareValues}. */
export interface CompareValuesOptions {
  /** Number of points `N`. */
  points: number;
  /** Output names; their count is the width `m`. */
  names: readonly string[];
  /**
   * Floor of an output's scale as a fraction of its largest `|ref|`:
   * `scale_i = max(range of ref_i, floorFraction · max |ref_i|)`.
   * @default {1e-3}
   */
  floorFraction?: number;
}

/** The comparison of one output over all points. */
export interface OutputValueComparison {
  /** Output name. */
  readonly name: string;
  /** `max_k |calc - ref|`. */
  readonly maxAbsError: number;
  /** Root mean square of `calc - ref`. */
  readonly rmse: number;
  /** `max_k ref - min_k ref`. */
  readonly refRange: number;
  /** `maxAbsError / scale_i`; the scale is the range, floored (1 if the reference is all zero). */
  readonly rangeNormalizedError: number;
  /** R² of calc against ref; `NaN` when the reference does not vary. */
  readonly r2: number;
}

/** Result of {@linkcode compareValues}. */
export interface ValueComparison {
  /** One per output, in order. */
  readonly outputs: readonly OutputValueComparison[];
  /** The largest range-normalized error and its output. */
  readonly worstRangeNormalized: { readonly name: string; readonly value: number };
}

/**
 * Compares forward outputs with reference outputs, per output: max abs error,
 * RMSE, range-normalized error (max abs error / range of the reference over
 * the points) and R².
 *
 * @param calc Computed outputs, `[N, m]` row-major.
 * @param ref Reference outputs, `[N, m]` row-major, same units.
 * @param options `points` (`N`), `names` (length `m`), floor.
 * @throws {TypeError} If `calc` or `ref` does not hold `N · m` values.
 * @throws {RangeError} If `N` is not a positive integer or `names` is empty.
 *
 * @example Usage
 * ```ts
 * import { compareValues } from "./values.ts";
 * const cmp = compareValues(new Float64Array([0, 2.5, 4]), new Float64Array([0, 2, 4]), {
 *   points: 3, names: ["f1"],
 * });
 * if (cmp.outputs[0]!.rangeNormalizedError !== 0.125) throw new Error("unexpected error");
 * ```
 */
export function compareValues(
  calc: Float64Array,
  ref: Float64Array,
  options: CompareValuesOptions,
): ValueComparison {
  const { points: N, names, floorFraction = 1e-3 } = options;
  const m = names.length;
  if (!Number.isInteger(N) || N < 1 || m === 0) {
    throw new RangeError(
      `Cannot compare values: ${N} points and ${m} outputs, expected at least one of each`,
    );
  }
  for (const [what, a] of [["computed", calc], ["reference", ref]] as const) {
    if (a.length !== N * m) {
      throw new TypeError(
        `Cannot compare values: the ${what} values have length ${a.length}, expected [${N}, ${m}]`,
      );
    }
  }
  const outputs = names.map((name, i): OutputValueComparison => {
    const c = Float64Array.from({ length: N }, (_, k) => calc[k * m + i]!);
    const r = Float64Array.from({ length: N }, (_, k) => ref[k * m + i]!);
    let lo = Infinity;
    let hi = -Infinity;
    let magnitude = 0;
    let maxAbsError = 0;
    let sumSq = 0;
    for (let k = 0; k < N; k++) {
      lo = Math.min(lo, r[k]!);
      hi = Math.max(hi, r[k]!);
      magnitude = Math.max(magnitude, Math.abs(r[k]!));
      const e = c[k]! - r[k]!;
      maxAbsError = Math.max(maxAbsError, Math.abs(e));
      sumSq += e * e;
    }
    const refRange = hi - lo;
    return {
      name,
      maxAbsError,
      rmse: Math.sqrt(sumSq / N),
      refRange,
      rangeNormalizedError: maxAbsError / flooredScale(refRange, magnitude, floorFraction),
      r2: rSquared(c, r),
    };
  });
  let worst = outputs[0]!;
  for (const o of outputs) {
    const v = Number.isNaN(o.rangeNormalizedError) ? Infinity : o.rangeNormalizedError;
    const w = Number.isNaN(worst.rangeNormalizedError) ? Infinity : worst.rangeNormalizedError;
    if (v > w) worst = o;
  }
  return {
    outputs,
    worstRangeNormalized: { name: worst.name, value: worst.rangeNormalizedError },
  };
}

/**
 * A JSON-ready copy of a {@linkcode ValueComparison}, non-finite numbers as `null`.
 *
 * @example Usage
 * ```ts
 * import { compareValues, valueComparisonToJson } from "./values.ts";
 * const cmp = compareValues(new Float64Array([1, 1]), new Float64Array([1, 1]), { points: 2, names: ["f"] });
 * const json = valueComparisonToJson(cmp) as { outputs: { r2: null }[] };
 * if (json.outputs[0]!.r2 !== null) throw new Error("expected null R² for a constant reference");
 * ```
 */
export function valueComparisonToJson(cmp: ValueComparison): Record<string, unknown> {
  return finiteOrNull(cmp) as Record<string, unknown>;
}
