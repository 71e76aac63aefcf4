/**
 * The composed physical-units model `x → normalize → model → denormalize`:
 * one object that holds the ONNX model (with mapped PyTorch weights applied),
 * its scaling, and the engines that evaluate and differentiate it —
 * onnxruntime (float32 forward, float64 copy for finite differences) and the
 * tfjs rebuild (float32 autodiff). Engines are created on first use.
 *
 * @module
 */
import { type NumericTable, readNumericCsv } from "../io/table.ts";
import { loadOnnxModel, type OnnxModel, replaceInitializers } from "../onnx/model.ts";
import { createOrtRunner, type OrtDtype, type OrtRunner } from "../onnx/ort_runner.ts";
import { type BatchRewrite, makeBatchDynamic } from "../onnx/dynamic_batch.ts";
import type { TfModel } from "../graph/tf_model.ts";
import {
  canonicalForm,
  denormalize,
  identityScaling,
  normalize,
  type Scaling,
} from "../scaling/scaler.ts";
import { readScaling } from "../scaling/read_scaling.ts";
import { BoxCheck } from "../scaling/box.ts";
import type { WeightMap } from "../weights/map.ts";
import { loadWeightsFor } from "../weights/map_weights.ts";
import type { StateDict } from "../weights/state_dict.ts";
import {
  buildDerivativeModel,
  createDerivativeRunner,
  type DerivativeRunner,
  type DerivativeValues,
} from "../onnx/derivative/mod.ts";
import { finiteDifferenceJacobian } from "../jacobian/finite_differences.ts";
import type { Jacobians } from "../jacobian/types.ts";

/** Options of {@linkcode loadSurrogate}. */
export interface LoadSurrogateOptions {
  /**
   * Scaling file (CSV `Variable,Min,Max` or JSON). Without one the model is
   * taken to work in physical units (identity scaling).
   * @default {undefined}
   */
  scaling?: string;
  /**
   * A PyTorch state_dict (`.pth`/`.pt`/`.safetensors`) mapped onto the graph,
   * replacing the ONNX file's weights.
   * @default {undefined}
   */
  weights?: string;
  /**
   * The state_dict the ONNX file was exported with. Constant folding renames,
   * transposes, slices and fuses weights; those are found in the graph by their
   * values, so the map is made with these weights and then filled with `weights`.
   * Not needed (nor read) when every float initializer is named like a key of
   * `weights` (an export without constant folding). Given alone, these are the
   * weights: the model as exported, mapped (e.g. for a refit to start from).
   * @default {`model.pth` or `model.safetensors` beside the ONNX file, if there is one}
   */
  exportedWeights?: string;
  /**
   * The inputs CSV header. When it has exactly `n` columns, these are the
   * input names: a scaling file that names its variables must name them the
   * same (else a one-line error names both), one that does not takes them, and
   * without a scaling file they name the inputs. Other widths are ignored (the
   * columns are then selected by name, see {@linkcode selectInputColumns}).
   * @default {undefined}
   */
  inputNames?: readonly string[];
}

/** How to evaluate the model. */
export type ForwardEngine = "ort" | "tf";

/** How to differentiate the model. */
export type JacobianMethod = "graph" | "autodiff" | "fd";

/** Precision of the derivative graph. */
export type GraphDtype = "float32" | "float64";

/** Options of {@linkcode Surrogate.jacobian}. */
export interface SurrogateJacobianOptions {
  /**
   * `"graph"`: the derivative graph (forward mode compiled into ONNX) in onnxruntime.
   * `"autodiff"`: reverse mode through the tfjs rebuild of the composition, float32.
   * `"fd"`: central differences of the float64 onnxruntime copy of the composition.
   * @default {"autodiff"}
   */
  method?: JacobianMethod;
  /** With `"graph"`: its precision. @default {"float32"} */
  dtype?: GraphDtype;
  /** With `"fd"`: Richardson extrapolation. @default {false} */
  richardson?: boolean;
  /** With `"fd"`: step per input in physical units. @default {ε^(1/3)·range of each input} */
  step?: number | ArrayLike<number>;
}

/** A PyTorch-trained model in physical units, with its scaling applied consistently. */
export interface Surrogate {
  /** The ONNX model, with `--weights` applied when given. */
  readonly onnx: OnnxModel;
  /** The scaling (identity when no scaling file was given). */
  readonly scaling: Scaling;
  /** Input names, model order, width `n`. */
  readonly inputs: readonly string[];
  /** Output names, model order, width `m`. */
  readonly outputs: readonly string[];
  /**
   * The state_dict and its map onto the graph, when `weights` (or `exportedWeights`)
   * was given; `exportedPath` is the exported state_dict the map was found with, when
   * names did not suffice.
   */
  readonly weights?: {
    readonly path: string;
    readonly dict: StateDict;
    readonly map: WeightMap;
    readonly exportedPath?: string;
  };
  /**
   * One-line warnings from loading: state_dict keys the graph does not use
   * (their values are ignored), no scaling file (results in the model's own
   * units), a scaling file without names or with another delimiter. Empty
   * when there is nothing to say.
   */
  readonly warnings: readonly string[];
  /**
   * How a batch size fixed in the file was handled: made dynamic (and proven
   * equal to row-by-row runs), or kept, so that both engines run the model in
   * chunks of that many rows. `onnx` is the model as run.
   */
  readonly batch: BatchRewrite;
  /**
   * Outputs in physical units.
   *
   * @param x Points `[N, n]`, physical units, row-major.
   * @param options `engine`: `"ort"` (onnxruntime, float32) or `"tf"` (the tfjs rebuild, float32).
   * @returns `[N, m]`, physical units, row-major.
   */
  predict(x: Float64Array, options?: { engine?: ForwardEngine }): Promise<Float64Array>;
  /**
   * Jacobians of the composed physical function at the points.
   *
   * @param x Points `[N, n]`, physical units, row-major.
   * @returns Jacobians `[N, m, n]`, `∂y_i/∂x_j` in physical units.
   */
  jacobian(x: Float64Array, options?: SurrogateJacobianOptions): Promise<Jacobians>;
  /**
   * Outputs, Jacobians and (order 2) Hessians from the derivative graph in one
   * onnxruntime pass, physical units.
   *
   * @param x Points `[N, n]`, physical units, row-major.
   * @returns `y` `[N, m]`, `jacobian` `[N, m, n]`, `hessian` `[N, m, n, n]` when `order` is 2.
   * @throws {UnsupportedDerivativeError} If the graph has an op without a tangent rule.
   */
  derivatives(
    x: Float64Array,
    options?: { order?: 1 | 2; dtype?: GraphDtype },
  ): Promise<DerivativeValues>;
  /** The float64 onnxruntime copy of the composition, `[N, n] → [N, m]`, physical units. */
  predictFloat64(x: Float64Array): Promise<Float64Array>;
  /** The tfjs rebuild (created on first use). */
  tfModel(): Promise<TfModel>;
  /** An onnxruntime session in the given precision (created on first use). */
  ortRunner(dtype: OrtDtype): Promise<OrtRunner>;
  /** Releases sessions and tensors. */
  dispose(): Promise<void>;
}

/**
 * Loads an ONNX model with its scaling and, optionally, PyTorch weights.
 *
 * @param modelPath The ONNX file (input `[batch, n]`, output `[batch, m]`, normalized units).
 * @param options Scaling file, weights file, input names.
 * @throws {Error} Naming the file for a missing or malformed model, scaling or weights file,
 *   a scaling file with the wrong number of rows, or weights that do not fit the graph.
 *
 * @example Usage
 * ```ts
 * import { loadSurrogate } from "./surrogate.ts";
 * const root = new URL("../../data/", import.meta.url).pathname;
 * const model = await loadSurrogate(`${root}models/mlp/model.onnx`, {
 *   scaling: `${root}seed/olhs_samples_max_min.csv`,
 * });
 * const y = await model.predict(new Float64Array([1, 1, 1, 1]));
 * const jac = await model.jacobian(new Float64Array([1, 1, 1, 1]));
 * await model.dispose();
 * if (y.length !== 4 || jac.values.length !== 16) throw new Error("unexpected shapes");
 * ```
 */
export async function loadSurrogate(
  modelPath: string,
  options: LoadSurrogateOptions = {},
): Promise<Surrogate> {
  let onnx = await loadOnnxModel(modelPath);
  const n = onnx.input.width;
  const m = onnx.output.width;
  const inputNames = options.inputNames?.length === n ? options.inputNames : undefined;
  let scaling: Scaling;
  const warnings: string[] = [];
  if (options.scaling !== undefined) {
    scaling = await readScaling(options.scaling, {
      inputCount: n,
      outputCount: m,
      ...(inputNames ? { inputNames } : {}),
      onWarning: (w) => warnings.push(w),
    });
  } else {
    const base = identityScaling(n, m);
    scaling = inputNames === undefined ? base : {
      inputs: base.inputs.map((s, j) => ({ ...s, name: inputNames[j]! })),
      outputs: base.outputs,
    };
    warnings.push(
      `${modelPath}: no scaling file, so inputs go to the model as they are and its outputs ${
        base.outputs.map((s) => s.name).join(", ")
      } are in the model's own units (normalized, if it was trained on normalized data)`,
    );
  }
  const loaded = await loadWeightsFor(onnx, {
    ...(options.weights !== undefined ? { weights: options.weights } : {}),
    ...(options.exportedWeights !== undefined ? { exportedWeights: options.exportedWeights } : {}),
  });
  let weights: Surrogate["weights"];
  if (loaded !== undefined) {
    onnx = replaceInitializers(onnx, loaded.values);
    const { path, dict, map, exportedPath } = loaded;
    weights = { path, dict, map, ...(exportedPath !== undefined ? { exportedPath } : {}) };
  }
  const { model: runnable, rewrite } = await makeBatchDynamic(onnx);
  return makeSurrogate(runnable, scaling, {
    ...(weights ? { weights } : {}),
    warnings: [...warnings, ...(loaded?.warnings ?? [])],
    batch: rewrite,
  });
}

export { findExportedWeights } from "../weights/map_weights.ts";

/** Rows per tfjs forward pass (bounds the rebuild's memory). */
const TF_FORWARD_CHUNK = 4096;

/** Options of {@linkcode makeSurrogate}. */
export interface MakeSurrogateOptions {
  /** The state_dict applied to the model and its map (see {@linkcode Surrogate.weights}). @default {undefined} */
  weights?: Surrogate["weights"];
  /** Warnings from loading (see {@linkcode Surrogate.warnings}). @default {[]} */
  warnings?: readonly string[];
  /** How a fixed batch was handled (see {@linkcode Surrogate.batch}). @default {from the model's input} */
  batch?: BatchRewrite;
}

/**
 * A {@linkcode Surrogate} from a model already in memory (e.g. a refit one).
 *
 * @param onnx The model, normalized units.
 * @param scaling Its scaling, `n` inputs and `m` outputs.
 * @param extras The state_dict it was given, warnings from loading, and how its batch was
 *   handled (default: `"dynamic"`, or `"chunked"` when the model's input fixes the batch).
 * @throws {TypeError} If the scaling's widths differ from the model's.
 */
export function makeSurrogate(
  onnx: OnnxModel,
  scaling: Scaling,
  extras: MakeSurrogateOptions = {},
): Surrogate {
  const { weights, warnings = [] } = extras;
  const fixed = onnx.input.batch;
  const batch: BatchRewrite = extras.batch ??
    (fixed === null
      ? { staticBatch: null, mode: "dynamic", nodes: [] }
      : { staticBatch: fixed, mode: "chunked", nodes: [], reason: "kept as given" });
  const n = onnx.input.width;
  const m = onnx.output.width;
  if (scaling.inputs.length !== n || scaling.outputs.length !== m) {
    throw new TypeError(
      `Cannot use ${onnx.source}: the model maps ${n} inputs to ${m} outputs, the scaling has ${scaling.inputs.length} and ${scaling.outputs.length}`,
    );
  }
  const inputs = scaling.inputs.map((s) => s.name);
  const outputs = scaling.outputs.map((s) => s.name);
  const runners = new Map<OrtDtype, Promise<OrtRunner>>();
  let tfModel: Promise<TfModel> | undefined;
  const graphRunners = new Map<string, Promise<DerivativeRunner>>();

  const ortRunner = (dtype: OrtDtype) => {
    let r = runners.get(dtype);
    if (r === undefined) {
      r = createOrtRunner(onnx, { dtype });
      runners.set(dtype, r);
    }
    return r;
  };
  const graphRunner = (order: 1 | 2, dtype: GraphDtype) => {
    const key = `${order}:${dtype}`;
    let r = graphRunners.get(key);
    if (r === undefined) {
      r = buildDerivativeModel(onnx, {
        order,
        dtype,
        scaling: {
          inputs: scaling.inputs.map(canonicalForm),
          outputs: scaling.outputs.map(canonicalForm),
        },
      }).then((model) => createDerivativeRunner(model));
      graphRunners.set(key, r);
      // A model the graph cannot differentiate is refused again on the next call.
      r.catch(() => graphRunners.delete(key));
    }
    return r;
  };
  const viaGraph = async (x: Float64Array, order: 1 | 2, dtype: GraphDtype) => {
    const points = pointsOf(x);
    const runner = await graphRunner(order, dtype);
    const values = await runner.run(normalize(scaling.inputs, x), points);
    return { ...values, y: denormalize(scaling.outputs, values.y) };
  };
  const getTfModel = () => {
    // tfjs is loaded on first use only: the onnxruntime paths start ~130 ms faster without it.
    tfModel ??= Promise.all([import("../tf/backend.ts"), import("../graph/tf_model.ts")]).then(
      async ([{ initTf }, { buildTfModel }]) => {
        await initTf();
        return buildTfModel(onnx);
      },
    );
    return tfModel;
  };
  const pointsOf = (x: Float64Array) => {
    if (x.length % n !== 0) {
      throw new TypeError(
        `Cannot evaluate ${onnx.source}: ${x.length} values are not rows of ${n} inputs`,
      );
    }
    return x.length / n;
  };
  /** Normalize in float64, run the model in normalized units, denormalize in float64. */
  const physical = async (
    x: Float64Array,
    run: (xn: Float64Array, points: number) => Promise<Float64Array>,
  ) => denormalize(scaling.outputs, await run(normalize(scaling.inputs, x), pointsOf(x)));
  const viaOrt = (x: Float64Array, dtype: OrtDtype) =>
    physical(x, async (xn, points) => await (await ortRunner(dtype)).run(xn, points));
  const viaTf = (x: Float64Array) =>
    physical(x, async (xn, points) => {
      const model = await getTfModel();
      const { tf } = await import("../tf/backend.ts");
      // In chunks: one tfjs pass over 100,000 efficient-KAN points needs more than the wasm
      // backend's memory ([N, 30, 11] activations), and fails with "memory access out of bounds".
      const out = new Float64Array(points * m);
      for (let start = 0; start < points; start += TF_FORWARD_CHUNK) {
        const rows = Math.min(TF_FORWARD_CHUNK, points - start);
        const slice = Float32Array.from(xn.subarray(start * n, (start + rows) * n));
        const y = tf.tidy(() => model.apply(tf.tensor2d(slice, [rows, n])));
        try {
          out.set(await y.data(), start * m);
        } finally {
          y.dispose();
        }
      }
      return out;
    });

  return {
    onnx,
    scaling,
    inputs,
    outputs,
    ...(weights ? { weights } : {}),
    batch,
    warnings,
    predict(x, options = {}) {
      return (options.engine ?? "ort") === "ort" ? viaOrt(x, "float32") : viaTf(x);
    },
    async jacobian(x, options = {}) {
      const points = pointsOf(x);
      const method = options.method ?? "autodiff";
      if (method === "graph") {
        const { jacobian } = await viaGraph(x, 1, options.dtype ?? "float32");
        return { points, outputs: [...outputs], inputs: [...inputs], values: jacobian };
      }
      if (method === "autodiff") {
        const model = await getTfModel();
        const { computePhysicalJacobian } = await import("../jacobian/autodiff.ts");
        return computePhysicalJacobian((xn) => model.apply(xn), x, scaling, {
          normalized: normalize(scaling.inputs, x),
          points,
          inputs,
          outputs,
        });
      }
      return await finiteDifferenceJacobian((xs) => viaOrt(xs, "float64"), x, {
        points,
        inputWidth: n,
        outputWidth: m,
        inputs,
        outputs,
        inputScale: scaling.inputs.map((s) => 1 / s.scale),
        dtype: "float64",
        ...(options.richardson ? { richardson: true } : {}),
        ...(options.step !== undefined ? { step: options.step } : {}),
      });
    },
    derivatives: (x, options = {}) => viaGraph(x, options.order ?? 1, options.dtype ?? "float32"),
    predictFloat64: (x) => viaOrt(x, "float64"),
    tfModel: getTfModel,
    ortRunner,
    async dispose() {
      for (const r of runners.values()) await (await r).release();
      runners.clear();
      for (const r of graphRunners.values()) await (await r.catch(() => undefined))?.release();
      graphRunners.clear();
      if (tfModel) (await tfModel).dispose();
      tfModel = undefined;
    },
  };
}

/**
 * The model-input columns of an inputs table, in model order, selected by
 * name (other columns, such as outputs, are ignored).
 *
 * @param table Inputs CSV, physical units.
 * @param inputs The model's input names, width `n`.
 * @param source File name for messages.
 * @returns `[N, n]` row-major.
 * @throws {TypeError} If a model input has no column, naming the file and the missing names.
 */
export function selectInputColumns(
  table: NumericTable,
  inputs: readonly string[],
  source: string,
): Float64Array {
  const width = table.columns.length;
  const index = inputs.map((name) => table.columns.indexOf(name));
  const missing = inputs.filter((_, j) => index[j]! < 0);
  if (missing.length > 0) {
    throw new TypeError(
      `Cannot read ${source}: no column for model input ${missing.join(", ")} (the header has ${
        table.columns.join(", ")
      }; the model's inputs are ${inputs.join(", ")})`,
    );
  }
  if (width === inputs.length && index.every((c, j) => c === j)) return table.data;
  const out = new Float64Array(table.rows * inputs.length);
  for (let r = 0; r < table.rows; r++) {
    index.forEach((c, j) => out[r * inputs.length + j] = table.data[r * width + c]!);
  }
  return out;
}

/** Options of {@linkcode loadSurrogateWithInputs}. */
export interface LoadSurrogateWithInputsOptions extends Omit<LoadSurrogateOptions, "inputNames"> {
  /** Inputs CSV, physical units, header = input names (extra columns are ignored). */
  inputs: string;
}

/** A surrogate and the points of an inputs CSV, in the model's input order. */
export interface SurrogateWithInputs {
  readonly surrogate: Surrogate;
  /** Points `[N, n]`, physical units, model input order. */
  readonly x: Float64Array;
  /** Number of points `N`. */
  readonly points: number;
  /** The same points as a table with exactly the model's input columns. */
  readonly inputTable: NumericTable;
  /**
   * Everything to warn about, one line each: the inputs CSV's delimiter, the
   * model's loading ({@linkcode Surrogate.warnings}), points outside the scaling box.
   */
  readonly warnings: readonly string[];
}

/**
 * Reads an inputs CSV and loads the model with the CSV's header as input names
 * (checked against the scaling file's), then selects the model's input columns.
 *
 * @param modelPath The ONNX file.
 * @param options Inputs CSV, scaling and weights files.
 * @throws {Error} Naming the file, for any of the errors of {@linkcode loadSurrogate},
 *   `readNumericCsv` and {@linkcode selectInputColumns}.
 */
export async function loadSurrogateWithInputs(
  modelPath: string,
  options: LoadSurrogateWithInputsOptions,
): Promise<SurrogateWithInputs> {
  const { inputs, ...rest } = options;
  const csvWarnings: string[] = [];
  const table = await readNumericCsv(inputs, { onWarning: (w) => csvWarnings.push(w) });
  const surrogate = await loadSurrogate(modelPath, { ...rest, inputNames: table.columns });
  const x = selectInputColumns(table, surrogate.inputs, inputs);
  const box = new BoxCheck(surrogate.scaling);
  box.add(x, table.rows);
  const outside = box.warning(inputs);
  return {
    surrogate,
    x,
    points: table.rows,
    inputTable: { columns: [...surrogate.inputs], rows: table.rows, data: x },
    warnings: [...csvWarnings, ...surrogate.warnings, ...(outside ? [outside] : [])],
  };
}
