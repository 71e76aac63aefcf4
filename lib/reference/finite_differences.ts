/**
 * Float64 central differences with Richardson extrapolation, for references
 * given as plain functions without a Jacobian.
 *
 * @module
 */

/** Options of {@linkcode richardsonJacobian}. */
export interface RichardsonOptions {
  /**
   * First step for input `j`: `relativeStep · max(1, |x_j|)`; later steps halve it.
   * @default {1e-3}
   */
  relativeStep?: number;
  /**
   * Number of step sizes (extrapolation levels); error `O(h^(2·levels))`.
   * @default {3}
   */
  levels?: number;
}

/**
 * Jacobian of `f` at one point by central differences, extrapolated with
 * Richardson's method: with `D(h) = (f(x + h e_j) − f(x − h e_j)) / 2h`, the
 * differences at `h, h/2, h/4, …` are combined to cancel the `h²`, `h⁴`, …
 * error terms. With the defaults the truncation error is `O(h⁶) ≈ 1e-18`
 * times the 7th derivative and rounding about `1e-16 · |f| / h`: ~1e-12
 * relative for smooth functions of order-one inputs.
 *
 * @param f Function `R^n → R^m` in float64; called `2 · levels · n` times.
 * @param x Point, length `n`.
 * @returns `J`, length `m · n`, row-major `[m, n]`: `J[i*n + j] = ∂f_i/∂x_j`.
 *   Entries are NaN or infinite when `f` is, e.g. when a step leaves its domain.
 * @throws {RangeError} If `relativeStep` is not positive or `levels` not a positive integer.
 *
 * @example Usage
 * ```ts
 * import { richardsonJacobian } from "./finite_differences.ts";
 * const J = richardsonJacobian((x) => new Float64Array([Math.sin(x[0]!) * x[1]!]), new Float64Array([1, 2]));
 * if (Math.abs(J[0]! - 2 * Math.cos(1)) > 1e-10 || Math.abs(J[1]! - Math.sin(1)) > 1e-10) {
 *   throw new Error("inaccurate");
 * }
 * ```
 */
export function richardsonJacobian(
  f: (x: Float64Array) => ArrayLike<number>,
  x: Float64Array,
  options: RichardsonOptions = {},
): Float64Array {
  const { relativeStep = 1e-3, levels = 3 } = options;
  if (!(relativeStep > 0) || !Number.isFinite(relativeStep)) {
    throw new RangeError(`Cannot differentiate: relativeStep ${relativeStep} is not positive`);
  }
  if (!Number.isSafeInteger(levels) || levels < 1) {
    throw new RangeError(`Cannot differentiate: levels ${levels} is not a positive integer`);
  }
  const n = x.length;
  let m = -1;
  let jacobian = new Float64Array(0);
  const probe = Float64Array.from(x);
  for (let j = 0; j < n; j++) {
    const h0 = relativeStep * Math.max(1, Math.abs(x[j]!));
    // table[l] holds the level-l extrapolation, per output.
    const table: Float64Array[] = [];
    for (let l = 0; l < levels; l++) {
      // Exactly representable step: (x + h) - (x - h) is what f really saw.
      const h = h0 / 2 ** l;
      probe[j] = x[j]! + h;
      const plus = Float64Array.from(f(probe));
      const upper = probe[j]!;
      probe[j] = x[j]! - h;
      const minus = Float64Array.from(f(probe));
      const lower = probe[j]!;
      probe[j] = x[j]!;
      if (m < 0) {
        m = plus.length;
        jacobian = new Float64Array(m * n);
      }
      const d = new Float64Array(m);
      for (let i = 0; i < m; i++) d[i] = (plus[i]! - minus[i]!) / (upper - lower);
      let current = d;
      for (let level = 0; level < table.length; level++) {
        const factor = 4 ** (level + 1);
        const previous = table[level]!;
        const next = new Float64Array(m);
        for (let i = 0; i < m; i++) {
          next[i] = (factor * current[i]! - previous[i]!) / (factor - 1);
        }
        table[level] = current;
        current = next;
      }
      table.push(current);
    }
    const best = table[levels - 1]!;
    for (let i = 0; i < m; i++) jacobian[i * n + j] = best[i]!;
  }
  return jacobian;
}
