/**
 * Before/after metrics of a refit: value R² and Jacobian errors of a surrogate
 * against targets, in physical units.
 *
 * @module
 */
import { compareJacobians } from "../compare/jacobians.ts";
import { compareValues } from "../compare/values.ts";
import { makeJacobians } from "../jacobian/types.ts";
import type { Surrogate } from "../surrogate/surrogate.ts";
import type { RefitData } from "./data.ts";

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
    })),
    entries,
  };
}
