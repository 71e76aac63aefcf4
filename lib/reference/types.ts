/**
 * The contract every analytic reference satisfies.
 *
 * @module
 */

/** One `(point, output)` pair that could not be evaluated to a real, finite number. */
export interface InvalidEntry {
  /** 0-based point (row) index. */
  readonly row: number;
  /** Output name. */
  readonly output: string;
  /** Why, e.g. `f1 is complex (0 + 0.35i)` or `df1/dx3 is not finite (Infinity)`. */
  readonly reason: string;
}

/** Values and Jacobians of a reference at a batch of points, float64, physical units. */
export interface ReferenceResult {
  /** Outputs, shape `[N, m]` row-major. NaN where the pair is listed in `invalid`. */
  readonly values: Float64Array;
  /**
   * Jacobians, shape `[N, m, n]` row-major, `jacobian[(k*m + i)*n + j] = ∂f_i/∂x_j`
   * at point `k`. NaN in the row `i` of point `k` when `(k, output i)` is in `invalid`.
   */
  readonly jacobian: Float64Array;
  /** Pairs that were not real and finite, in row order, at most one per pair. */
  readonly invalid: InvalidEntry[];
}

/** A reference function `f: R^n -> R^m` with its Jacobian, in physical units. */
export interface AnalyticReference {
  /** Input names, in order, width `n`. */
  readonly inputs: readonly string[];
  /** Output names, in order, width `m`. */
  readonly outputs: readonly string[];
  /** `true` if the Jacobian is symbolic or supplied; `false` if it is numerical (finite differences). */
  readonly exact: boolean;
  /**
   * Evaluates values and Jacobians.
   *
   * @param x Points, shape `[N, n]` row-major, physical units, float64.
   * @param points `N`.
   * @throws {TypeError} If `x.length !== points * n`.
   */
  evaluate(x: Float64Array, points: number): ReferenceResult;
}
