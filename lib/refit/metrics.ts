/**
 * Before/after metrics of a refit: value R² and Jacobian errors of a surrogate
 * against targets, in physical units.
 *
 * @module
 */
import { compareJacobians } from "../compare/jacobians.ts";
import { compareValues } from "../compare/values.ts";
import { makeJacobians } from "../jacobian/types.ts";
import { denormalize, type Scaling } from "../scaling/scaler.ts";
import type { Surrogate } from "../surrogate/surrogate.ts";
import type { RefitData } from "./data.ts";
import type { LossParts } from "./objective.ts";

/** The metrics of one output. */
export interface OutputMetrics {
  /** Output name. */
  readonly output: string;
  /** R² of the predicted values against the targets. */
  readonly r2: number;
  /** Max abs value error / range of the targets. */
  readonly valueRangeNormalizedError: number;
  /**
   * `max over points and inputs |J − J_ref| / max |J_ref|` of this output's row
   * (`NaN` without Jacobian targets).
   */
  readonly jacobianRowNormalizedError: number;
  /**
   * Median over points of `max over inputs |J − J_ref| / max |J_ref|` (same row
   * scale as the worst; `NaN` without Jacobian targets).
   */
  readonly jacobianRowNormalizedMedian: number;
}

/** The metrics of one Jacobian entry `d<out>/d<in>`. */
export interface EntryMetrics {
  /** `d<out>/d<in>`. */
  readonly label: string;
  /** Max abs error / max |J_ref| of the entry's output row. */
  readonly rowNormalizedError: number;
  /** Max abs error / range of the entry's reference over the points (floored). */
  readonly rangeNormalizedError: number;
}

/** Metrics of a surrogate on a data set. */
export interface RefitMetrics {
  /** Number of points. */
  readonly points: number;
  /** Per output, model order. */
  readonly outputs: readonly OutputMetrics[];
  /** Per Jacobian entry, output-major; empty without Jacobian targets. */
  readonly entries: readonly EntryMetrics[];
}

/**
 * Evaluates a surrogate against targets: values from onnxruntime (float32),
 * Jacobians by reverse mode through the tfjs rebuild (float32), both in
 * physical units, compared with `compareValues` and `compareJacobians`.
 *
 * @param surrogate The model.
 * @param data Points and targets with the model's input and output names.
 * @returns Per-output and per-entry metrics.
 */
export async function evaluateSurrogate(
  surrogate: Surrogate,
  data: RefitData,
): Promise<RefitMetrics> {
  const values = await surrogate.predict(data.x);
  const cmpValues = compareValues(values, data.values, {
    points: data.points,
    names: surrogate.outputs,
  });
  let rows: readonly number[] = surrogate.outputs.map(() => NaN);
  let medians: readonly number[] = rows;
  let entries: EntryMetrics[] = [];
  if (data.jacobian) {
    const jac = await surrogate.jacobian(data.x);
    const ref = makeJacobians(data.jacobian, {
      points: data.points,
      outputs: surrogate.outputs,
      inputs: surrogate.inputs,
    });
    const cmp = compareJacobians(jac, ref);
    rows = cmp.perOutput.map((o) => o.rowNormalizedError);
    medians = rowNormalizedErrors(jac.values, data.jacobian, data.points, surrogate.outputs.length)
      .median;
    entries = cmp.entries.map((e) => ({
      label: e.label,
      rowNormalizedError: e.rowNormalizedError,
      rangeNormalizedError: e.rangeNormalizedError,
    }));
  }
  return {
    points: data.points,
    outputs: cmpValues.outputs.map((o, i) => ({
      output: o.name,
      r2: o.r2,
      valueRangeNormalizedError: o.rangeNormalizedError,
      jacobianRowNormalizedError: rows[i]!,
      jacobianRowNormalizedMedian: medians[i]!,
    })),
    entries,
  };
}

/**
 * Row-normalized Jacobian errors per output: with `rowScale_i = max over points
 * and inputs |J_ref[k][i][j]|` (1 if zero) and `e_ki = max_j |J − J_ref|[k][i][j] / rowScale_i`,
 * the worst `max_k e_ki` and the median over points of `e_ki`. NaN entries count as
 * infinitely wrong.
 *
 * @param calc Jacobians `[N, m, n]`.
 * @param ref Reference Jacobians `[N, m, n]`.
 * @param points `N`.
 * @param m Number of outputs.
 * @returns Worst and median per output, length `m` each.
 *
 * @example Usage
 * ```ts
 * import { rowNormalizedErrors } from "./metrics.ts";
 * // one output, one input, three points with errors 0.1, 0.2, 0.4 against a row scale of 2
 * const e = rowNormalizedErrors(Float64Array.of(1.1, 2.2, 0.6), Float64Array.of(1, 2, 1), 3, 1);
 * if (Math.abs(e.worst[0]! - 0.2) > 1e-12 || Math.abs(e.median[0]! - 0.1) > 1e-12) throw new Error();
 * ```
 */
export function rowNormalizedErrors(
  calc: ArrayLike<number>,
  ref: ArrayLike<number>,
  points: number,
  m: number,
): { worst: number[]; median: number[] } {
  const n = ref.length / (points * m);
  const worst: number[] = [];
  const median: number[] = [];
  for (let i = 0; i < m; i++) {
    let scale = 0;
    for (let k = 0; k < points; k++) {
      for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(ref[(k * m + i) * n + j]!));
    }
    if (!(scale > 0)) scale = 1;
    const perPoint = new Float64Array(points);
    for (let k = 0; k < points; k++) {
      let e = 0;
      for (let j = 0; j < n; j++) {
        const at = (k * m + i) * n + j;
        const d = Math.abs(calc[at]! - ref[at]!);
        e = Number.isNaN(d) ? Infinity : Math.max(e, d);
      }
      perPoint[k] = e / scale;
    }
    worst.push(perPoint.reduce((a, b) => Math.max(a, b), 0));
    perPoint.sort();
    median.push(
      points % 2
        ? perPoint[(points - 1) / 2]!
        : (perPoint[points / 2 - 1]! + perPoint[points / 2]!) / 2,
    );
  }
  return { worst, median };
}

/** The held-out loss and errors of the model being trained. */
export interface HeldOutScore {
  /** Loss terms in normalized units, as the training loss defines them. */
  readonly loss: LossParts;
  /** Worst row-normalized Jacobian error per output, physical units (empty without Jacobian targets). */
  readonly jacobianError: readonly number[];
  /** Value R² per output. */
  readonly r2: readonly number[];
}

/**
 * Scores the model's normalized values and Jacobians at held-out points
 * against physical targets: the loss terms (float64 on the host, the same
 * formula as `sobolevLoss`), the worst row-normalized Jacobian error per output
 * and the value R² per output, both in physical units.
 *
 * @param model Normalized values `[N, m]` and Jacobians `[N, m, n]` at the points.
 * @param data The points and physical targets.
 * @param scaling The surrogate's scaling.
 * @param options λ and the entry weights `[m·n]`.
 */
export function scoreHeldOut(
  model: { readonly y: Float32Array; readonly jacobian: Float32Array },
  data: RefitData,
  scaling: Scaling,
  options: { lambda: number; entryWeights: Float32Array },
): HeldOutScore {
  const N = data.points;
  const m = scaling.outputs.length;
  const n = scaling.inputs.length;
  const y = denormalize(scaling.outputs, Float64Array.from(model.y));
  let value = 0;
  const r2: number[] = [];
  for (let i = 0; i < m; i++) {
    let mean = 0;
    for (let k = 0; k < N; k++) mean += data.values[k * m + i]! / N;
    let res = 0, tot = 0;
    const s = scaling.outputs[i]!.scale;
    for (let k = 0; k < N; k++) {
      const d = y[k * m + i]! - data.values[k * m + i]!;
      res += d * d;
      tot += (data.values[k * m + i]! - mean) ** 2;
      value += (d * s) ** 2 / (N * m);
    }
    r2.push(tot > 0 ? 1 - res / tot : NaN);
  }
  let jacobian = 0;
  let jacobianError: number[] = [];
  if (data.jacobian) {
    const phys = new Float64Array(N * m * n);
    for (let k = 0; k < N; k++) {
      for (let i = 0; i < m; i++) {
        const so = scaling.outputs[i]!.scale;
        for (let j = 0; j < n; j++) {
          const at = (k * m + i) * n + j;
          const si = scaling.inputs[j]!.scale;
          phys[at] = model.jacobian[at]! * si / so;
          const dn = (phys[at]! - data.jacobian[at]!) * so / si;
          jacobian += options.entryWeights[i * n + j]! * dn * dn / (N * m * n);
        }
      }
    }
    jacobianError = rowNormalizedErrors(phys, data.jacobian, N, m).worst;
  }
  const lambda = options.lambda;
  return {
    loss: { total: value + (lambda > 0 ? lambda * jacobian : 0), value, jacobian },
    jacobianError,
    r2,
  };
}
