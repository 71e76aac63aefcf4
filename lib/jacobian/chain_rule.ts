/**
 * De-normalizing a Jacobian taken in normalized units by the chain rule, and
 * the user report's own loops, kept verbatim in spirit, to show they agree.
 *
 * With `x_n = s_x · x + o_x` and `y_n = s_y · y + o_y` per variable,
 * `y = (y_n - o_y) / s_y`, so
 *
 * ```
 * J_phys[k][i][j] = J_norm[k][i][j] · (dy/dy_n)_i · (dx_n/dx)_j
 *                 = J_norm[k][i][j] · (1 / s_y[i]) · s_x[j]
 * ```
 *
 * i.e. `J_phys = diag(dy/dy_n) · J_norm · diag(dx_n/dx)`. For min-max scaling
 * (`s = 1 / (max - min)`) that is `J_norm · range_out[i] / range_in[j]`.
 *
 * @module
 */
import { type AffineScaling, readAffineSide } from "./affine.ts";
import type { Jacobians } from "./types.ts";

/**
 * Jacobians in physical units from Jacobians in normalized units, by the chain
 * rule `J_phys[k][i][j] = J_norm[k][i][j] · (1 / s_y[i]) · s_x[j]` (see the module doc).
 *
 * @param jNorm Jacobians `[N, m, n]` of the normalized model `x_n -> y_n`.
 * @param scaling `inputs` (width `n`) and `outputs` (width `m`), `normalized = scale · physical + offset`.
 * @returns Jacobians `[N, m, n]` of the physical model `x -> y`, same names.
 * @throws {TypeError} If a scaling side's width differs from the Jacobians'.
 * @throws {RangeError} If a scale is zero or not finite.
 *
 * @example Usage
 * ```ts
 * import { denormalizeJacobian } from "./chain_rule.ts";
 * // x in [0, 4] and y in [10, 18]: ∂y/∂x = ∂y_n/∂x_n · 8 / 4
 * const jNorm = { points: 1, outputs: ["y"], inputs: ["x"], values: new Float64Array([3]) };
 * const scaling = { inputs: { scale: [1 / 4], offset: [0] }, outputs: { scale: [1 / 8], offset: [-10 / 8] } };
 * if (denormalizeJacobian(jNorm, scaling).values[0] !== 6) throw new Error("unexpected value");
 * ```
 */
export function denormalizeJacobian(jNorm: Jacobians, scaling: AffineScaling): Jacobians {
  const m = jNorm.outputs.length;
  const n = jNorm.inputs.length;
  const sx = readAffineSide(scaling.inputs, { width: n, label: "inputs" }).scale;
  const sy = readAffineSide(scaling.outputs, { width: m, label: "outputs" }).scale;
  const values = new Float64Array(jNorm.values.length);
  for (let k = 0; k < jNorm.points; k++) {
    for (let i = 0; i < m; i++) {
      const dyDyn = 1 / sy[i]!;
      for (let j = 0; j < n; j++) {
        const e = (k * m + i) * n + j;
        values[e] = jNorm.values[e]! * dyDyn * sx[j]!;
      }
    }
  }
  return { points: jNorm.points, outputs: [...jNorm.outputs], inputs: [...jNorm.inputs], values };
}

/** The `Min` and `Max` columns of the user's `olhs_samples_max_min.csv`: inputs first, then outputs. */
export interface MaxMinColumns {
  /** `max_min_data['Min']`, length `n + m`. */
  readonly min: ArrayLike<number>;
  /** `max_min_data['Max']`, length `n + m`. */
  readonly max: ArrayLike<number>;
}

/**
 * The user report's de-normalization, reproduced operation for operation:
 *
 * ```py
 * range_ranges  = max_min_data['Max'][:x_num] - max_min_data['Min'][:x_num]
 * domain_ranges = max_min_data['Max'][x_num:] - max_min_data['Min'][x_num:]
 * denormalized_jacobians[m, n] = jacobians[m, n] / range_ranges[n] * domain_ranges[m + x_num]
 * ```
 *
 * i.e. every row `m` multiplied by the range of output `f_m`, every column `n`
 * divided by the range of input `x_n`. It equals {@linkcode denormalizeJacobian}
 * with min-max scalers (up to float64 rounding): the report's formula is right.
 *
 * @param jNorm Jacobians `[N, m, n]` of the normalized model.
 * @param maxMin The scaling file's `Min` and `Max` columns, `n` inputs then `m` outputs.
 * @returns Jacobians `[N, m, n]` in physical units.
 * @throws {TypeError} If `min` or `max` does not have `n + m` values.
 *
 * @example Usage
 * ```ts
 * import { userScriptDenormalize } from "./chain_rule.ts";
 * const jNorm = { points: 1, outputs: ["f1"], inputs: ["x1"], values: new Float64Array([3]) };
 * const j = userScriptDenormalize(jNorm, { min: [0, 10], max: [4, 18] });
 * if (j.values[0] !== 6) throw new Error("unexpected value");
 * ```
 */
export function userScriptDenormalize(jNorm: Jacobians, maxMin: MaxMinColumns): Jacobians {
  const xNum = jNorm.inputs.length;
  const fNum = jNorm.outputs.length;
  if (maxMin.min.length !== xNum + fNum || maxMin.max.length !== xNum + fNum) {
    throw new TypeError(
      `Cannot de-normalize: the Min/Max columns have ${maxMin.min.length}/${maxMin.max.length} rows, expected ${xNum} inputs + ${fNum} outputs`,
    );
  }
  // pandas keeps the index of the slice, hence domain_ranges[m + x_num].
  const rangeRanges = new Map<number, number>();
  const domainRanges = new Map<number, number>();
  for (let r = 0; r < xNum + fNum; r++) {
    (r < xNum ? rangeRanges : domainRanges).set(r, maxMin.max[r]! - maxMin.min[r]!);
  }
  const values = new Float64Array(jNorm.values.length);
  const per = fNum * xNum;
  for (let i = 0; i < jNorm.points; i++) {
    const jacobians = jNorm.values.subarray(i * per, (i + 1) * per);
    const denormalized = values.subarray(i * per, (i + 1) * per);
    for (let m = 0; m < fNum; m++) {
      for (let n = 0; n < xNum; n++) {
        denormalized[m * xNum + n] = jacobians[m * xNum + n]! / rangeRanges.get(n)! *
          domainRanges.get(m + xNum)!;
      }
    }
  }
  return { points: jNorm.points, outputs: [...jNorm.outputs], inputs: [...jNorm.inputs], values };
}
