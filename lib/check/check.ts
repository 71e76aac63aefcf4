/**
 * The three-way check of a model's Jacobians and the diagnosis that answers
 * "where does the Jacobian discrepancy come from": the de-normalization, the
 * differentiation, or the fit itself.
 *
 * At the evaluation points it computes, in physical units:
 * - the model's Jacobian by autodiff through `normalize → model → denormalize`
 *   (float32, the tfjs rebuild);
 * - the user's chain rule `J_phys = diag(dy/dy_n) · J_n · diag(dx_n/dx)` applied
 *   to the normalized Jacobian — equal to the composed autodiff when the
 *   scaling is consistent;
 * - central finite differences of the float64 onnxruntime copy of the model —
 *   equal to autodiff when the differentiation is right;
 * - the analytic reference (float64, exact symbolic derivatives) — the model's
 *   distance from it is the fit's error, not a numerical one.
 *
 * @module
 */
import { compareJacobians, type JacobianComparison } from "../compare/jacobians.ts";
import { compareValues, type ValueComparison } from "../compare/values.ts";
import { diagnoseGraph } from "../diagnose/diagnose_graph.ts";
import type { GraphDiagnostics } from "../diagnose/types.ts";
import { computeJacobian } from "../jacobian/autodiff.ts";
import { denormalizeJacobian } from "../jacobian/chain_rule.ts";
import type { Jacobians } from "../jacobian/types.ts";
import type { AnalyticReference } from "../reference/types.ts";
import { normalize } from "../scaling/scaler.ts";
import type { Surrogate } from "../surrogate/surrogate.ts";

/** Tolerances of the consistency checks, named by what they bound. */
export const CHECK_TOLERANCES = {
  /**
   * Chain rule vs composed autodiff, relative to each output row's largest |J|:
   * two float32 backward passes agree to the Jacobian's float32 noise (~1e-6).
   */
  scaling: 1e-5,
  /**
   * Autodiff (float32) vs float64 central differences, relative to each entry's
   * range over the points: float32 gradients vs central differences ~1e-4 on the
   * bundled models; 2e-3 is the usual float32 bound.
   */
  differentiation: 2e-3,
  /**
   * Model vs analytic reference, relative to each output row's largest |J|
   * (row-normalized): above this the fit's derivatives are called off.
   */
  fit: 0.05,
} as const;

/** Options of {@linkcode checkModel}. */
export interface CheckModelOptions {
  /** Measure graph facts (layer norms, basis grids, saturation). @default {true} */
  diagnostics?: boolean;
  /** Richardson extrapolation for the finite differences. @default {false} */
  richardson?: boolean;
}

/** Everything {@linkcode checkModel} measured. */
export interface CheckResult {
  /** Model file. */
  readonly model: string;
  /** Points used (rows where the reference is defined), physical units, `[N, n]`. */
  readonly x: Float64Array;
  /** Number of points used. */
  readonly points: number;
  /** Indices (0-based, in the inputs) of rows dropped because the reference is undefined there. */
  readonly droppedRows: readonly number[];
  /** Why each dropped row was dropped. */
  readonly droppedReasons: readonly string[];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Model outputs (onnxruntime, float32), physical units, `[N, m]`. */
  readonly predicted: Float64Array;
  /** Reference outputs, float64, `[N, m]`. */
  readonly trueValues: Float64Array;
  /** Jacobians, physical units. */
  readonly jacobians: {
    readonly autodiff: Jacobians;
    readonly chainRule: Jacobians;
    readonly finiteDifferences: Jacobians;
    readonly reference: Jacobians;
  };
  /** Whether the reference's Jacobian is exact (symbolic) or numerical. */
  readonly referenceExact: boolean;
  /** Model values vs reference values. */
  readonly values: ValueComparison;
  /** The comparisons behind the diagnosis. */
  readonly comparisons: {
    /** Composed autodiff vs chain rule: is the scaling consistent? */
    readonly scaling: JacobianComparison;
    /** Autodiff vs float64 finite differences: is the differentiation right? */
    readonly differentiation: JacobianComparison;
    /** Autodiff vs the analytic reference: how far are the fit's derivatives? */
    readonly fit: JacobianComparison;
  };
  /** Graph facts, when asked for. */
  readonly diagnostics?: GraphDiagnostics;
  /** Verdicts and the plain-language diagnosis. */
  readonly verdict: Verdict;
}

/** The three questions answered. */
export interface Verdict {
  /** Chain rule and composed autodiff agree (worst row-normalized ≤ tolerance). */
  readonly scalingConsistent: boolean;
  /** Autodiff and float64 finite differences agree (worst range-normalized ≤ tolerance). */
  readonly differentiationCorrect: boolean;
  /** The model's Jacobian is within {@linkcode CHECK_TOLERANCES.fit} of the reference, row-normalized. */
  readonly fitDerivativesGood: boolean;
  /** One paragraph, plain language, with the numbers. */
  readonly diagnosis: string;
}

/**
 * Runs the three-way check at the points `x` (physical units).
 *
 * @param surrogate The model with its scaling.
 * @param reference Analytic reference with the same inputs and outputs, matched by name
 *   (outputs by position when the model's are unnamed, `y1..ym`, as without a scaling file).
 * @param x Points `[N, n]`, physical units.
 * @param options Diagnostics and Richardson.
 * @throws {TypeError} If the reference's variables do not match the model's.
 * @throws {RangeError} If the reference is undefined at every point.
 */
export async function checkModel(
  surrogate: Surrogate,
  reference: AnalyticReference,
  x: Float64Array,
  options: CheckModelOptions = {},
): Promise<CheckResult> {
  const n = surrogate.inputs.length;
  const m = surrogate.outputs.length;
  const order = matchReference(surrogate, reference);
  const all = x.length / n;
  const ref = reference.evaluate(reorderColumns(x, order.inputs, n), all);
  const bad = new Map<number, string>();
  for (const e of ref.invalid) {
    if (!bad.has(e.row)) bad.set(e.row, `${e.output}: ${e.reason}`);
  }
  const keep = [...Array(all).keys()].filter((k) => !bad.has(k));
  if (keep.length === 0) {
    throw new RangeError(
      `Cannot check ${surrogate.onnx.source}: the reference is undefined at every point (${
        [...bad.values()][0]
      })`,
    );
  }
  const points = keep.length;
  const xs = takeRows(x, keep, n);
  const names = { points, outputs: surrogate.outputs, inputs: surrogate.inputs };
  // Reference values and Jacobians in the model's variable order.
  const refValues = new Float64Array(points * m);
  const refJac = new Float64Array(points * m * n);
  const rm = reference.outputs.length;
  const rn = reference.inputs.length;
  keep.forEach((k, p) => {
    for (let i = 0; i < m; i++) {
      const ri = order.outputs[i]!;
      refValues[p * m + i] = ref.values[k * rm + ri]!;
      for (let j = 0; j < n; j++) {
        refJac[(p * m + i) * n + j] = ref.jacobian[(k * rm + ri) * rn + order.inputs[j]!]!;
      }
    }
  });
  const referenceJ: Jacobians = { ...names, values: refJac };

  const predicted = await surrogate.predict(xs);
  const autodiff = await surrogate.jacobian(xs);
  const finiteDifferences = await surrogate.jacobian(xs, {
    method: "fd",
    ...(options.richardson ? { richardson: true } : {}),
  });
  const tfModel = await surrogate.tfModel();
  const xn = normalize(surrogate.scaling.inputs, xs);
  const normalized = computeJacobian((v) => tfModel.apply(v), xn, { ...names, inputWidth: n });
  const chainRule = denormalizeJacobian(normalized, surrogate.scaling);

  const comparisons = {
    scaling: compareJacobians(autodiff, chainRule),
    differentiation: compareJacobians(autodiff, finiteDifferences),
    fit: compareJacobians(autodiff, referenceJ),
  };
  const values = compareValues(predicted, refValues, { points, names: surrogate.outputs });
  const diagnostics = options.diagnostics === false
    ? undefined
    : await diagnoseGraph(surrogate.onnx, xn, points);
  const result = {
    model: surrogate.onnx.source,
    x: xs,
    points,
    droppedRows: [...bad.keys()].sort((a, b) => a - b),
    droppedReasons: [...bad.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r),
    inputs: surrogate.inputs,
    outputs: surrogate.outputs,
    predicted,
    trueValues: refValues,
    jacobians: { autodiff, chainRule, finiteDifferences, reference: referenceJ },
    referenceExact: reference.exact,
    values,
    comparisons,
    ...(diagnostics ? { diagnostics } : {}),
  };
  return { ...result, verdict: judge(result) };
}

function judge(r: Omit<CheckResult, "verdict">): Verdict {
  const scalingError = r.comparisons.scaling.worstRowNormalized;
  const diffError = r.comparisons.differentiation.worstRangeNormalized;
  const fit = r.comparisons.fit;
  const scalingConsistent = scalingError.value <= CHECK_TOLERANCES.scaling;
  const differentiationCorrect = diffError.value <= CHECK_TOLERANCES.differentiation;
  const fitDerivativesGood = fit.worstRowNormalized.value <= CHECK_TOLERANCES.fit;
  const share = (v: number) =>
    v >= 1 ? `${v.toPrecision(2)} times` : `${(100 * v).toPrecision(2)}% of`;
  const sci = (v: number) => v.toExponential(1);
  const minR2 = Math.min(...r.values.outputs.map((o) => o.r2));
  const worstRow = fit.worstRowNormalized;
  // The entry with the largest error relative to its row, and its worst point.
  const entry = fit.entries.reduce((a, b) => (b.rowNormalizedError > a.rowNormalizedError ? b : a));
  const at = entry.worst[0];
  const parts = [
    scalingConsistent
      ? `Scaling consistent: the chain rule and autodiff through normalize → model → denormalize agree to ${
        sci(scalingError.value)
      } of each output row's scale.`
      : `Scaling INCONSISTENT: the chain rule and the composed autodiff differ by ${
        sci(scalingError.value)
      } of output ${scalingError.output}'s scale; check the scaling file's order (inputs first, then outputs) and ranges.`,
    differentiationCorrect
      ? `Differentiation correct: float32 autodiff and float64 finite differences of the onnxruntime model agree to ${
        sci(diffError.value)
      } of each entry's range.`
      : `Differentiation SUSPECT: autodiff and finite differences differ by ${
        sci(diffError.value)
      } of ${diffError.label}'s range.`,
    `Fit: value R² ≥ ${
      minR2.toFixed(4)
    } for every output, yet the model's Jacobian is off by up to ${
      share(worstRow.value)
    } output ${worstRow.output}'s largest |∂${worstRow.output}/∂x|` +
    (at === undefined
      ? "."
      : ` (worst entry ${entry.label}: ${at.calc.toPrecision(3)} where the reference is ${
        at.ref.toPrecision(3)
      }, point ${at.point + 1}).`),
  ];
  if (scalingConsistent && differentiationCorrect) {
    parts.push(
      fitDerivativesGood
        ? "Conclusion: the model's Jacobian matches the reference; nothing to fix."
        : "Conclusion: the model, not the de-normalization or the differentiation, is the cause: a good fit of values does not constrain derivatives. Refit with derivative information (partials refit).",
    );
  } else {
    parts.push(
      "Conclusion: fix the numerical inconsistency above before judging the fit.",
    );
  }
  return {
    scalingConsistent,
    differentiationCorrect,
    fitDerivativesGood,
    diagnosis: parts.join(" "),
  };
}

/** Column indices of the reference for each model input and output. */
function matchReference(
  surrogate: Surrogate,
  reference: AnalyticReference,
): { inputs: number[]; outputs: number[] } {
  const match = (
    model: readonly string[],
    ref: readonly string[],
    side: string,
    prefix: string,
  ) => {
    if (model.length !== ref.length) {
      throw new TypeError(
        `Cannot check ${surrogate.onnx.source}: the model has ${model.length} ${side}, the reference ${ref.length}`,
      );
    }
    const index = model.map((name) => ref.indexOf(name));
    if (index.every((i) => i >= 0)) return index;
    // Outputs without a scaling file are unnamed (y1..ym): take the reference's in order.
    const unnamed = prefix === "y" && model.every((name, i) => name === `y${i + 1}`);
    if (unnamed) return model.map((_, i) => i);
    const missing = model.filter((_, i) => index[i]! < 0);
    throw new TypeError(
      `Cannot check ${surrogate.onnx.source}: model ${side} ${
        missing.join(", ")
      } are not in the reference (${ref.join(", ")})`,
    );
  };
  return {
    inputs: match(surrogate.inputs, reference.inputs, "inputs", "x"),
    outputs: match(surrogate.outputs, reference.outputs, "outputs", "y"),
  };
}

/** `x` with its columns in the reference's order. */
function reorderColumns(x: Float64Array, modelToRef: readonly number[], n: number): Float64Array {
  if (modelToRef.every((r, j) => r === j)) return x;
  const out = new Float64Array(x.length);
  for (let k = 0; k < x.length / n; k++) {
    for (let j = 0; j < n; j++) out[k * n + modelToRef[j]!] = x[k * n + j]!;
  }
  return out;
}

function takeRows(x: Float64Array, rows: readonly number[], width: number): Float64Array {
  if (rows.length * width === x.length) return x;
  const out = new Float64Array(rows.length * width);
  rows.forEach((k, p) => out.set(x.subarray(k * width, (k + 1) * width), p * width));
  return out;
}
