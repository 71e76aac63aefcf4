/**
 * PyTorch's own values saved next to a model by the companion
 * (`scripts/pytorch/export.py`): `oracle.json`, format `partials-oracle/1`,
 * and the parity checks of the toolkit against them.
 *
 * @module
 */
import { describeError } from "../io/quote.ts";
import { compareJacobians } from "../compare/jacobians.ts";
import { compareValues } from "../compare/values.ts";
import { readTextFile } from "../io/table.ts";
import type { Surrogate, SurrogateJacobianOptions } from "../surrogate/surrogate.ts";
import { UnsupportedDerivativeError } from "../onnx/derivative/mod.ts";
import { stepSweep, type StepSweepRow } from "../jacobian/finite_differences.ts";

/** The fields of `oracle.json` the toolkit reads; arrays are `[N][m]` or `[N][m][n]`. */
export interface Oracle {
  readonly format: "partials-oracle/1";
  readonly model?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly points_physical: readonly (readonly number[])[];
  readonly outputs_physical: readonly (readonly number[])[];
  readonly outputs_float32: readonly (readonly number[])[];
  readonly jacobian_physical: readonly (readonly (readonly number[])[])[];
}

/** Tolerances of the parity checks against PyTorch, as fractions of ranges over the points. */
export const PARITY_TOLERANCES = {
  /** float32 forwards (onnxruntime, tfjs) vs PyTorch float32 outputs, per output range. */
  forward: 1e-5,
  /** float32 autodiff vs PyTorch float64 autograd, per entry range. */
  autodiff: 1e-4,
  /** float64 finite differences of the onnxruntime float64 copy vs PyTorch float64, per entry range. */
  finiteDifferences: 1e-3,
  /** The float32 derivative graph vs PyTorch float64 autograd, per entry range (as autodiff). */
  graph: 1e-4,
  /**
   * The float64 derivative graph vs PyTorch float64 autograd, per entry range:
   * float64 rounding (~1e-15) where the graph's constants are PyTorch's; the
   * float32 constants some graphs store (FastKAN's 4/7 and LayerNorm ε) move
   * it up to ~1e-6.
   */
  graph64: 2e-6,
} as const;

/**
 * Reads and checks an oracle file.
 *
 * @throws {SyntaxError} If it is not JSON or not format `partials-oracle/1`, naming the file and field.
 */
export async function readOracle(path: string): Promise<Oracle> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readTextFile(path));
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new SyntaxError(`Cannot read ${path}: ${describeError(error)}`);
    }
    throw error;
  }
  if (json.format !== "partials-oracle/1") {
    throw new SyntaxError(`Cannot read ${path}: format is ${json.format}, not partials-oracle/1`);
  }
  for (
    const field of ["inputs", "outputs", "points_physical", "outputs_physical", "jacobian_physical"]
  ) {
    if (!Array.isArray(json[field])) {
      throw new SyntaxError(`Cannot read ${path}: field "${field}" is missing or not an array`);
    }
  }
  return json as unknown as Oracle;
}

/** One parity measurement: the worst error and where. */
export interface ParityMeasure {
  readonly value: number;
  readonly where: string;
  readonly tolerance: number;
  readonly pass: boolean;
}

/** The toolkit's engines vs PyTorch at the oracle's points. */
export interface OracleParity {
  readonly points: number;
  /** onnxruntime float32 forward vs PyTorch, worst range-normalized over outputs. */
  readonly forwardOrt: ParityMeasure;
  /** tfjs rebuild forward vs PyTorch. */
  readonly forwardTf: ParityMeasure;
  /** float32 autodiff vs PyTorch float64 autograd, worst range-normalized over entries. */
  readonly autodiff: ParityMeasure;
  /** float64 finite differences vs PyTorch float64 autograd. */
  readonly finiteDifferences: ParityMeasure;
  /** The float32 derivative graph vs PyTorch float64 autograd (absent when the graph has an op it cannot differentiate). */
  readonly graph?: ParityMeasure;
  /** The float64 derivative graph vs PyTorch float64 autograd. */
  readonly graph64?: ParityMeasure;
}

/**
 * Compares the surrogate's forwards and Jacobians with PyTorch's saved values.
 *
 * @throws {TypeError} If the oracle's variables differ from the surrogate's.
 */
export async function checkOracleParity(
  surrogate: Surrogate,
  oracle: Oracle,
): Promise<OracleParity> {
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((v, i) => v === b[i]);
  if (!same(oracle.inputs, surrogate.inputs) || !same(oracle.outputs, surrogate.outputs)) {
    throw new TypeError(
      `Cannot compare with the oracle: it has ${oracle.inputs.join(",")} → ${
        oracle.outputs.join(",")
      }, the model ${surrogate.inputs.join(",")} → ${surrogate.outputs.join(",")}`,
    );
  }
  const points = oracle.points_physical.length;
  const x = Float64Array.from(oracle.points_physical.flat());
  const names = { points, outputs: surrogate.outputs, inputs: surrogate.inputs };
  const expected = Float64Array.from(oracle.outputs_physical.flat());
  const forward = async (engine: "ort" | "tf"): Promise<ParityMeasure> => {
    const cmp = compareValues(await surrogate.predict(x, { engine }), expected, {
      points,
      names: surrogate.outputs,
    });
    return measure(
      cmp.worstRangeNormalized.value,
      cmp.worstRangeNormalized.name,
      PARITY_TOLERANCES.forward,
    );
  };
  const pytorch = { ...names, values: Float64Array.from(oracle.jacobian_physical.flat(2)) };
  const jac = async (
    options: SurrogateJacobianOptions,
    tolerance: number,
  ): Promise<ParityMeasure> => {
    const cmp = compareJacobians(await surrogate.jacobian(x, options), pytorch);
    return measure(cmp.worstRangeNormalized.value, cmp.worstRangeNormalized.label, tolerance);
  };
  const graphJac = async (dtype: "float32" | "float64", tolerance: number) => {
    try {
      return await jac({ method: "graph", dtype }, tolerance);
    } catch (error) {
      if (error instanceof UnsupportedDerivativeError) return undefined;
      throw error;
    }
  };
  const graph = await graphJac("float32", PARITY_TOLERANCES.graph);
  const graph64 = graph ? await graphJac("float64", PARITY_TOLERANCES.graph64) : undefined;
  return {
    points,
    forwardOrt: await forward("ort"),
    forwardTf: await forward("tf"),
    autodiff: await jac({ method: "autodiff" }, PARITY_TOLERANCES.autodiff),
    finiteDifferences: await jac({ method: "fd" }, PARITY_TOLERANCES.finiteDifferences),
    ...(graph ? { graph } : {}),
    ...(graph64 ? { graph64 } : {}),
  };
}

function measure(value: number, where: string, tolerance: number): ParityMeasure {
  return { value, where, tolerance, pass: value <= tolerance };
}

/** Steps of {@linkcode oracleStepSweep}, as fractions of each input's range (ε^(1/3) ≈ 6e-6). */
export const SWEEP_STEPS: readonly number[] = [1e-1, 1e-2, 1e-3, 1e-4, 6e-6, 1e-7, 1e-9, 1e-11];

/**
 * The float64 central differences' own error against PyTorch's float64
 * autograd, per step: truncation error (∝ h²) at large steps, round-off
 * (∝ ε/h) at small ones, with the floor near ε^(1/3).
 *
 * @param surrogate The model (its float64 onnxruntime copy is differentiated).
 * @param oracle PyTorch's values.
 * @param steps Steps as fractions of each input's range.
 * @returns One row per step: `maxRelativeError` = max |D(h) − J_torch| / max |J_torch|.
 */
export async function oracleStepSweep(
  surrogate: Surrogate,
  oracle: Oracle,
  steps: readonly number[] = SWEEP_STEPS,
): Promise<StepSweepRow[]> {
  const points = oracle.points_physical.length;
  const n = surrogate.inputs.length;
  return await stepSweep(
    (x) => surrogate.predictFloat64(x),
    Float64Array.from(oracle.points_physical.flat()),
    {
      points,
      inputWidth: n,
      outputWidth: surrogate.outputs.length,
      inputScale: surrogate.scaling.inputs.map((s) => 1 / s.scale),
      steps,
      reference: {
        points,
        outputs: surrogate.outputs,
        inputs: surrogate.inputs,
        values: Float64Array.from(oracle.jacobian_physical.flat(2)),
      },
    },
  );
}
