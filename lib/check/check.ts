/**
 * The three-way check of a model's Jacobians and the diagnosis that answers
 * "where does the Jacobian discrepancy come from": the de-normalization, the
 * differentiation, or the fit itself.
 *
 * At the evaluation points it computes, in physical units:
 * - the model's Jacobian by the derivative graph (the ONNX graph
 *   differentiated into ONNX, float32, onnxruntime; `method: "autodiff"` or a
 *   graph it cannot differentiate: autodiff);
 * - the model's Jacobian by autodiff through `normalize → model → denormalize`
 *   (float32, the tfjs rebuild);
 * - the user's chain rule `J_phys = diag(dy/dy_n) · J_n · diag(dx_n/dx)` applied
 *   to the normalized Jacobian — equal to the composed autodiff when the
 *   scaling is consistent;
 * - central finite differences of the float64 onnxruntime copy of the model —
 *   equal to autodiff and to the derivative graph when the differentiation is
 *   right (three independent engines);
 * - the analytic reference (float64, exact symbolic derivatives) — the model's
 *   distance from it is the fit's error, not a numerical one.
 *
 * @module
 */
import { compareJacobians, type JacobianComparison } from "../compare/jacobians.ts";
import { compareValues, type ValueComparison } from "../compare/values.ts";
import { diagnoseGraph } from "../diagnose/diagnose_graph.ts";
import type { GraphDiagnostics } from "../diagnose/types.ts";
import type { NumericTable } from "../io/table.ts";
import { computeJacobian, computePhysicalJacobian } from "../jacobian/autodiff.ts";
import { denormalizeJacobian } from "../jacobian/chain_rule.ts";
import type { Jacobians } from "../jacobian/types.ts";
import type { AnalyticReference } from "../reference/types.ts";
import { denormalize, normalize, type Scaling } from "../scaling/scaler.ts";
import type { Surrogate } from "../surrogate/surrogate.ts";
import { UnsupportedDerivativeError } from "../onnx/derivative/mod.ts";
import { auditStructure, type StructureAudit } from "../verdict/architecture.ts";
import { auditData, type DataAudit } from "../verdict/data_audit.ts";
import { finding } from "../verdict/finding.ts";
import { ortNormalizedModel } from "../verdict/normalized_model.ts";
import { auditScaling, type ScalingAudit, type ScalingSuspect } from "../verdict/scaling_audit.ts";
import {
  auditUserJacobian,
  type UserJacobian,
  type UserJacobianAudit,
} from "../verdict/user_jacobian.ts";
import { renderVerdict, type Verdict, type VerdictTolerances } from "../verdict/verdict.ts";

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
   * (row-normalized): above this the fit's derivatives are called off
   * (`--fit-tol`).
   */
  fit: 0.05,
  /** Smallest value R² of every output for the values to fit (`--r2-min`). */
  r2Min: 0.99,
  /**
   * Per-entry pass/fail of the model-vs-reference table (`--rtol`, `--atol`),
   * as OpenMDAO's `check_partials`: `|calc − ref| ≤ atol · scale_ij + rtol · |ref|`
   * at every point, `scale_ij` the entry's range over the points (floored at
   * 1e-3 of its row's largest |J|). 5 % either way, the order of `fit`; stricter
   * than `fit` for an entry whose reference is constant (its range is the floor),
   * so a model the verdict calls `ok` can still fail such an entry.
   */
  rtol: 0.05,
  atol: 0.05,
} as const;

/** Options of {@linkcode checkModel}. */
export interface CheckModelOptions {
  /**
   * The model's Jacobian compared with the reference: `"graph"`, the
   * derivative graph (autodiff when the graph has an op it cannot
   * differentiate), or `"autodiff"`.
   * @default {"graph"}
   */
  method?: "graph" | "autodiff";
  /** Measure graph facts (layer norms, basis grids, saturation). @default {true} */
  diagnostics?: boolean;
  /** Richardson extrapolation for the finite differences. @default {false} */
  richardson?: boolean;
  /** Table tolerance, relative. @default {0.05} */
  rtol?: number;
  /** Table tolerance, in units of each entry's range over the points. @default {0.05} */
  atol?: number;
  /** Smallest value R² for the values to fit. @default {0.99} */
  r2Min?: number;
  /** Largest row-normalized Jacobian error for the derivatives to fit. @default {0.05} */
  fitTol?: number;
  /** The user's own Jacobian (`--jacobian`), tested against the model's. @default {undefined} */
  userJacobian?: UserJacobian;
  /** The user's training data (`--data`), inputs and outputs in physical units. @default {undefined} */
  data?: { readonly table: NumericTable; readonly source: string };
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
    /** The model's Jacobian compared with the reference (the derivative graph's or autodiff's). */
    readonly model: Jacobians;
    /** The derivative graph's, float32; absent when the graph has an op it cannot differentiate. */
    readonly graph?: Jacobians;
    readonly autodiff: Jacobians;
    readonly chainRule: Jacobians;
    readonly finiteDifferences: Jacobians;
    readonly reference: Jacobians;
  };
  /** How the model's Jacobian was computed, and why not by the derivative graph when asked. */
  readonly method: { readonly used: "graph" | "autodiff"; readonly graphUnsupported?: string };
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
    /** The derivative graph vs float64 finite differences (when the graph differentiates the model). */
    readonly graphDifferentiation?: JacobianComparison;
    /** The model's Jacobian vs the analytic reference: how far are the fit's derivatives? */
    readonly fit: JacobianComparison;
  };
  /** Graph facts, when asked for. */
  readonly diagnostics?: GraphDiagnostics;
  /** The audits behind the verdict. */
  readonly audits: {
    readonly scaling: ScalingAudit;
    readonly data?: DataAudit;
    readonly userJacobian?: UserJacobianAudit;
    readonly structure: StructureAudit;
  };
  /**
   * When the scaling audit names rows: the scaling with them corrected, and the
   * values and Jacobians compared again with it (what the later causes are judged on).
   */
  readonly corrected?: {
    readonly scaling: Scaling;
    readonly values: ValueComparison;
    readonly fit: JacobianComparison;
  };
  /** The verdict: the cause, the evidence, and the answers of the consistency checks. */
  readonly verdict: CheckVerdict;
}

/** The verdict of a check, with the answers the report and scripts read. */
export interface CheckVerdict extends Verdict {
  /** The chain rule on the file's constants agrees with composed autodiff (the arithmetic, not the constants). */
  readonly scalingConsistent: boolean;
  /** Autodiff and float64 finite differences agree (worst range-normalized ≤ tolerance). */
  readonly differentiationCorrect: boolean;
  /** The model's Jacobian is within `fitTol` of the reference, row-normalized (corrected constants when named). */
  readonly fitDerivativesGood: boolean;
  /** The verdict's sentence and action, one paragraph. */
  readonly diagnosis: string;
  /** The scaling audit's named rows (`metrics.json` `verdict.scaling.suspects`). */
  readonly scaling: { readonly suspects: readonly VerdictSuspect[] };
  /** The user's Jacobian's hypothesis, when `--jacobian` was given. */
  readonly userJacobian?: {
    readonly hypothesis: UserJacobianAudit["hypothesis"];
    readonly factor?: number;
    readonly error: number;
    readonly threshold: number;
    readonly formula: string;
  };
}

/** A scaling row named by the audit of the model or by the training data. */
export type VerdictSuspect = Omit<ScalingSuspect, "change"> & {
  /** What named it: the reference's values through the model, the training data, or both. */
  readonly evidence: readonly ("model" | "data")[];
};

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
  // Reference values and Jacobians at the kept points, one column per given reference output.
  const rm = reference.outputs.length;
  const rn = reference.inputs.length;
  const referenceColumns = (outputIndex: readonly number[]) => {
    const w = outputIndex.length;
    const values = new Float64Array(points * w);
    const jac = new Float64Array(points * w * n);
    keep.forEach((k, p) => {
      outputIndex.forEach((ri, i) => {
        values[p * w + i] = ref.values[k * rm + ri]!;
        for (let j = 0; j < n; j++) {
          jac[(p * w + i) * n + j] = ref.jacobian[(k * rm + ri) * rn + order.inputs[j]!]!;
        }
      });
    });
    return { values, jac };
  };
  const { values: refValues, jac: refJac } = referenceColumns(order.outputs);
  const referenceJ: Jacobians = { ...names, values: refJac };

  const tol: VerdictTolerances = {
    rtol: options.rtol ?? CHECK_TOLERANCES.rtol,
    atol: options.atol ?? CHECK_TOLERANCES.atol,
    r2Min: options.r2Min ?? CHECK_TOLERANCES.r2Min,
    fitTol: options.fitTol ?? CHECK_TOLERANCES.fit,
    differentiation: CHECK_TOLERANCES.differentiation,
    chainRule: CHECK_TOLERANCES.scaling,
  };
  for (const key of ["rtol", "atol", "fitTol"] as const) {
    if (!(tol[key] >= 0 && Number.isFinite(tol[key]))) {
      throw new RangeError(`Cannot check: ${key} ${tol[key]} is not a finite number ≥ 0`);
    }
  }
  if (!(tol.r2Min <= 1) || Number.isNaN(tol.r2Min)) {
    throw new RangeError(`Cannot check: r2Min ${tol.r2Min} is not a number ≤ 1`);
  }

  const predicted = await surrogate.predict(xs);
  const autodiff = await surrogate.jacobian(xs, { method: "autodiff" });
  let graph: Jacobians | undefined;
  let graphUnsupported: string | undefined;
  try {
    graph = await surrogate.jacobian(xs, { method: "graph" });
  } catch (error) {
    if (!(error instanceof UnsupportedDerivativeError)) throw error;
    graphUnsupported = error.message;
  }
  const method = {
    used: (options.method ?? "graph") === "graph" && graph ? "graph" : "autodiff",
  } as const;
  const modelJ = method.used === "graph" ? graph! : autodiff;
  const finiteDifferences = await surrogate.jacobian(xs, {
    method: "fd",
    ...(options.richardson ? { richardson: true } : {}),
  });
  const tfModel = await surrogate.tfModel();
  const xn = normalize(surrogate.scaling.inputs, xs);
  const normalized = computeJacobian((v) => tfModel.apply(v), xn, { ...names, inputWidth: n });
  const chainRule = denormalizeJacobian(normalized, surrogate.scaling);

  const table = { rtol: tol.rtol, atol: tol.atol };
  const comparisons = {
    scaling: compareJacobians(autodiff, chainRule),
    differentiation: compareJacobians(autodiff, finiteDifferences),
    ...(graph ? { graphDifferentiation: compareJacobians(graph, finiteDifferences) } : {}),
    fit: compareJacobians(modelJ, referenceJ, table),
  };
  const values = compareValues(predicted, refValues, { points, names: surrogate.outputs });
  const diagnostics = options.diagnostics === false
    ? undefined
    : await diagnoseGraph(surrogate.onnx, xn, points);

  // --- The audits: scaling constants, training data, the user's Jacobian, structure.
  const model64 = ortNormalizedModel(await surrogate.ortRunner("float64"));
  const scalingAudit = await auditScaling(model64, surrogate.scaling, xs, refValues, {
    r2Min: tol.r2Min,
    initialJacobian: normalized.values,
  });
  let corrected: CheckResult["corrected"];
  if (scalingAudit.suspects.length > 0) {
    const cs = scalingAudit.corrected;
    const outputNames = cs.outputs.map((s) => s.name);
    const { values: cv, jac: cj } = referenceColumns(
      outputNames.map((name, i) =>
        order.outputs[surrogate.outputs.indexOf(name)] ?? order.outputs[i]!
      ),
    );
    const cNames = { points, outputs: outputNames, inputs: surrogate.inputs };
    const cxn = normalize(cs.inputs, xs);
    const ort32 = await surrogate.ortRunner("float32");
    const cPredicted = denormalize(cs.outputs, await ort32.run(cxn, points));
    const cAutodiff = computePhysicalJacobian((v) => tfModel.apply(v), xs, cs, {
      ...cNames,
      normalized: cxn,
    });
    corrected = {
      scaling: cs,
      values: compareValues(cPredicted, cv, { points, names: outputNames }),
      fit: compareJacobians(cAutodiff, { ...cNames, values: cj }, table),
    };
  }
  const data = options.data
    ? auditData(options.data.table, surrogate.scaling, xs, options.data.source)
    : undefined;
  let userJacobian: UserJacobianAudit | undefined;
  if (options.userJacobian) {
    const u = options.userJacobian;
    const uPoints = u.jacobian.points;
    const userModelJ = await surrogate.jacobian(u.x, { method: method.used });
    const ur = reference.evaluate(reorderColumns(u.x, order.inputs, n), uPoints);
    const uRef = new Float64Array(uPoints * m * n);
    for (let k = 0; k < uPoints; k++) {
      order.outputs.forEach((ri, i) => {
        for (let j = 0; j < n; j++) {
          uRef[(k * m + i) * n + j] = ur.jacobian[(k * rm + ri) * rn + order.inputs[j]!]!;
        }
      });
    }
    userJacobian = auditUserJacobian(u, userModelJ, surrogate.scaling, {
      points: uPoints,
      outputs: surrogate.outputs,
      inputs: surrogate.inputs,
      values: uRef,
    });
  }
  const referenceAt = (xp: Float64Array, count: number) => {
    const r = reference.evaluate(reorderColumns(xp, order.inputs, n), count);
    const out = new Float64Array(count * m);
    for (let k = 0; k < count; k++) {
      order.outputs.forEach((ri, i) => out[k * m + i] = r.values[k * rm + ri]!);
    }
    return out;
  };
  const structure = await auditStructure(
    model64,
    surrogate.scaling,
    xs,
    referenceAt,
    diagnostics?.layerNorms ?? [],
  );

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
    jacobians: {
      model: modelJ,
      ...(graph ? { graph } : {}),
      autodiff,
      chainRule,
      finiteDifferences,
      reference: referenceJ,
    },
    method: { ...method, ...(graphUnsupported ? { graphUnsupported } : {}) },
    referenceExact: reference.exact,
    values,
    comparisons,
    ...(diagnostics ? { diagnostics } : {}),
    audits: {
      scaling: scalingAudit,
      ...(data ? { data } : {}),
      ...(userJacobian ? { userJacobian } : {}),
      structure,
    },
    ...(corrected ? { corrected } : {}),
  };
  return { ...result, verdict: judge(result, tol) };
}

/** The findings of a check, the verdict rendered from them, and the answers scripts read. */
function judge(r: Omit<CheckResult, "verdict">, tol: VerdictTolerances): CheckVerdict {
  // The worse of the two float32 engines against float64 finite differences.
  const autodiffDiff = r.comparisons.differentiation.worstRangeNormalized;
  const graphDiff = r.comparisons.graphDifferentiation?.worstRangeNormalized;
  const diff = graphDiff && !(graphDiff.value <= autodiffDiff.value) ? graphDiff : autodiffDiff;
  const chain = r.comparisons.scaling.worstRowNormalized;
  const values = r.corrected?.values ?? r.values;
  const fit = r.corrected?.fit ?? r.comparisons.fit;
  const minR2 = Math.min(...values.outputs.map((o) => (Number.isNaN(o.r2) ? -Infinity : o.r2)));
  const worstOutput = values.outputs.reduce((a, b) => (!(b.r2 >= a.r2) ? b : a));
  const fitWorst = fit.worstRowNormalized;
  const entry = fit.entries.reduce((a, b) => (b.rowNormalizedError > a.rowNormalizedError ? b : a));
  const at = entry.worst[0];
  const { scaling, data, userJacobian, structure } = r.audits;
  const findings = {
    differentiation: finding(
      "differentiation",
      !(diff.value <= tol.differentiation),
      diff.value,
      tol.differentiation,
      {
        measure: r.comparisons.graphDifferentiation
          ? "float32 autodiff and the float32 derivative graph vs float64 finite differences, worst |difference| / the entry's range"
          : "float32 autodiff vs float64 finite differences, worst |difference| / the entry's range",
        absent: "≈ 1e-6: float32 rounding",
        entry: diff.label,
      },
    ),
    chainRule: finding("chain-rule", !(chain.value <= tol.chainRule), chain.value, tol.chainRule, {
      measure:
        "the chain rule on the file's constants vs autodiff of the composition, worst |difference| / the row's largest |J|",
      absent: "≈ 1e-7: float32 rounding (the same constants on both sides)",
      output: chain.output,
    }),
    outputScaling: scaling.outputFinding,
    inputScaling: scaling.inputFinding,
    ...(data ? { dataRange: data.finding } : {}),
    ...(userJacobian ? { userJacobian: userJacobian.finding } : {}),
    structure: structure.finding,
    valueFit: finding("value-fit", !(minR2 >= tol.r2Min), minR2, tol.r2Min, {
      measure: "smallest R² of the values over the outputs",
      absent: `≥ ${tol.r2Min}`,
      output: worstOutput.name,
      corrected: r.corrected !== undefined,
    }),
    derivativeFit: finding(
      "derivative-fit",
      !(fitWorst.value <= tol.fitTol),
      fitWorst.value,
      tol.fitTol,
      {
        measure:
          "model vs reference Jacobian, worst |difference| / the output row's largest |∂f/∂x|",
        absent: `≤ ${tol.fitTol}`,
        output: fitWorst.output,
        corrected: r.corrected !== undefined,
      },
    ),
  };
  const verdict = renderVerdict({
    findings,
    tolerances: tol,
    points: r.points,
    scaling,
    ...(data ? { data } : {}),
    ...(userJacobian ? { userJacobian } : {}),
    structure,
    r2: values.outputs.map((o) => ({ name: o.name, r2: o.r2 })),
    fit: {
      output: fitWorst.output,
      value: fitWorst.value,
      ...(at
        ? { entry: { label: entry.label, calc: at.calc, ref: at.ref, point: at.point + 1 } }
        : {}),
    },
    passing: { pass: fit.entries.filter((e) => e.pass).length, of: fit.entries.length },
    differentiationEntry: diff.label,
    chainRuleOutput: chain.output,
  });
  const dataRows = new Map(
    (data?.columns ?? []).filter((c) => c.change > data!.finding.threshold).map((
      c,
    ) => [c.variable, c]),
  );
  const suspects: VerdictSuspect[] = scaling.suspects.map((s) => ({
    variable: s.variable,
    side: s.side,
    kind: s.kind,
    file: { ...s.file },
    implied: { ...s.implied },
    ...(s.with !== undefined ? { with: s.with } : {}),
    evidence: dataRows.has(s.variable) ? ["model", "data"] : ["model"],
  }));
  for (const [variable, c] of dataRows) {
    if (suspects.some((s) => s.variable === variable)) continue;
    suspects.push({
      variable,
      side: c.side,
      kind: "range",
      file: { ...c.file },
      implied: { ...c.data },
      evidence: ["data"],
    });
  }
  return {
    ...verdict,
    scalingConsistent: !findings.chainRule.holds,
    differentiationCorrect: !findings.differentiation.holds,
    fitDerivativesGood: !findings.derivativeFit.holds,
    diagnosis: `${verdict.summary} ${verdict.action}`,
    scaling: { suspects },
    ...(userJacobian
      ? {
        userJacobian: {
          hypothesis: userJacobian.hypothesis,
          ...(userJacobian.hypothesis === "factor" ? { factor: userJacobian.factor } : {}),
          error: userJacobian.errors.correct ?? NaN,
          threshold: userJacobian.tolerance,
          formula: userJacobian.formula,
        },
      }
      : {}),
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
