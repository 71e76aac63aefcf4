/**
 * Numerical rank of a small dense matrix by Gaussian elimination with full
 * pivoting, in float64.
 *
 * @module
 */

/** Options of {@linkcode numericalRank}. */
export interface NumericalRankOptions {
  /**
   * Relative tolerance: elimination stops when the largest remaining entry is at
   * most `tolerance · max|A|`.
   * @default {1e-3}
   */
  tolerance?: number;
}

/** Default relative pivot tolerance of {@linkcode numericalRank}. */
export const DEFAULT_RANK_TOLERANCE = 1e-3;

/**
 * Numerical rank of the square matrix `a` (`[k, k]`, row-major, float64): the
 * number of pivots of Gaussian elimination with full pivoting that exceed
 * `tolerance · max|a|`. The zero matrix has rank 0.
 *
 * @param a The matrix, `k * k` values, row-major (not modified).
 * @param k Its order.
 * @throws {TypeError} If `a.length !== k * k`.
 * @throws {RangeError} If `tolerance` is not in [0, 1).
 *
 * @example Usage
 * ```ts
 * import { numericalRank } from "./rank.ts";
 * // rows 1 and 2 are multiples of row 0
 * const a = Float64Array.of(1, 2, 3, 2, 4, 6, -1, -2, -3);
 * if (numericalRank(a, 3) !== 1) throw new Error();
 * ```
 */
export function numericalRank(
  a: Float64Array,
  k: number,
  options: NumericalRankOptions = {},
): number {
  const tolerance = options.tolerance ?? DEFAULT_RANK_TOLERANCE;
  if (a.length !== k * k) {
    throw new TypeError(`Cannot compute a rank: ${a.length} values for a ${k} x ${k} matrix`);
  }
  if (!(tolerance >= 0 && tolerance < 1)) {
    throw new RangeError(`Cannot compute a rank: tolerance ${tolerance} is not in [0, 1)`);
  }
  const m = Float64Array.from(a);
  let scale = 0;
  for (const v of m) scale = Math.max(scale, Math.abs(v));
  if (!(scale > 0)) return 0;
  const threshold = tolerance * scale;
  for (let step = 0; step < k; step++) {
    let best = -1;
    let pr = step;
    let pc = step;
    for (let i = step; i < k; i++) {
      for (let j = step; j < k; j++) {
        const v = Math.abs(m[i * k + j]!);
        if (v > best) {
          best = v;
          pr = i;
          pc = j;
        }
      }
    }
    if (!(best > threshold)) return step;
    if (pr !== step) {
      for (let j = 0; j < k; j++) {
        const t = m[step * k + j]!;
        m[step * k + j] = m[pr * k + j]!;
        m[pr * k + j] = t;
      }
    }
    if (pc !== step) {
      for (let i = 0; i < k; i++) {
        const t = m[i * k + step]!;
        m[i * k + step] = m[i * k + pc]!;
        m[i * k + pc] = t;
      }
    }
    const pivot = m[step * k + step]!;
    for (let i = step + 1; i < k; i++) {
      const f = m[i * k + step]! / pivot;
      if (f === 0) continue;
      for (let j = step; j < k; j++) m[i * k + j] = m[i * k + j]! - f * m[step * k + j]!;
    }
  }
  return k;
}
