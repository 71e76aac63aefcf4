/**
 * {@linkcode diagnoseGraph}: why a fit's derivatives are off, measured on the
 * ONNX graph at the evaluation points.
 *
 * @module
 */
import type { OnnxModel } from "../onnx/model.ts";
import { DataType } from "../onnx/tensor.ts";
import { indexGraph } from "./_graph.ts";
import { probeTensors } from "./_probe.ts";
import { findBases, measureBasis } from "./basis.ts";
import { findLayerNorms, measureLayerNorm } from "./layer_norm.ts";
import { DEFAULT_RANK_TOLERANCE } from "./rank.ts";
import { DEFAULT_SATURATION_LEVEL, findSaturations, measureSaturation } from "./saturation.ts";
import type { GraphDiagnostics } from "./types.ts";

/** Options of {@linkcode diagnoseGraph}. */
export interface DiagnoseGraphOptions {
  /**
   * Relative pivot tolerance for the layer-normalization Jacobian rank: the
   * direction that ε keeps alive has relative size `ε/(var + ε)` and counts as
   * removed when below this.
   * @default {1e-3}
   */
  rankTolerance?: number;
  /**
   * Fraction of a sigmoid's or tanh's largest derivative below which an output
   * counts as saturated (0.01: `|z| > 5.99` for the sigmoid, `|z| > 2.99` for tanh).
   * @default {0.01}
   */
  saturationLevel?: number;
}

/**
 * Facts read off the graph at the evaluation points: every layer
 * normalization (rank of its Jacobian, σ, gain 1/σ), every RBF / B-spline
 * basis (share of entering values outside its grid) and every sigmoid / tanh
 * (share of saturated outputs). Intermediate values come from onnxruntime
 * running a copy of the model with those tensors as extra graph outputs, in
 * the model's own precision (float32 for a float model); the statistics are
 * computed from them in float64.
 *
 * @param model The model, input `[batch, n]` in normalized model-input units.
 * @param x Evaluation points, shape `[N, n]`, row-major, normalized model inputs.
 * @param points Number of points `N` (at least 1).
 * @param options Rank tolerance and saturation level.
 * @returns The findings, in graph order within each kind.
 * @throws {TypeError} If `x.length !== points * n`.
 * @throws {RangeError} If `points` is not a positive integer.
 *
 * @example Usage
 * ```ts
 * import onnxProto from "onnx-proto";
 * import { decodeOnnxModel } from "../onnx/model.ts";
 * import { diagnoseGraph } from "./diagnose_graph.ts";
 * const vi = (name: string) => ({
 *   name,
 *   type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: 2 }] } } },
 * });
 * const bytes = onnxProto.onnx.ModelProto.encode({
 *   irVersion: 8,
 *   opsetImport: [{ domain: "", version: 17 }],
 *   graph: {
 *     node: [{ opType: "Sigmoid", name: "gate", input: ["x"], output: ["y"] }],
 *     input: [vi("x")],
 *     output: [vi("y")],
 *   },
 * }).finish();
 * const model = decodeOnnxModel(bytes, "sigmoid.onnx");
 * // one of the four pre-activations is beyond |z| = 5.99
 * const d = await diagnoseGraph(model, Float64Array.of(0, 1, -2, 8), 2);
 * if (d.saturations[0]?.share !== 0.25) throw new Error(`got ${d.saturations[0]?.share}`);
 * ```
 */
export async function diagnoseGraph(
  model: OnnxModel,
  x: Float64Array,
  points: number,
  options: DiagnoseGraphOptions = {},
): Promise<GraphDiagnostics> {
  const g = indexGraph(model);
  const layerNorms = findLayerNorms(g);
  const bases = findBases(g);
  const saturations = findSaturations(g);
  const names = [
    ...layerNorms.map((s) => s.input),
    ...bases.map((s) => s.input),
    ...saturations.map((s) => s.output),
  ];
  const probed = await probeTensors(model, x, points, names);
  const get = (name: string) => {
    const t = probed.get(name);
    if (!t) throw new TypeError(`Cannot diagnose ${model.source}: no value for "${name}"`);
    return t;
  };
  const rankTolerance = options.rankTolerance ?? DEFAULT_RANK_TOLERANCE;
  const level = options.saturationLevel ?? DEFAULT_SATURATION_LEVEL;
  return {
    source: model.source,
    points,
    dtype: model.input.elemType === DataType.DOUBLE ? "float64" : "float32",
    layerNorms: layerNorms.map((s) => measureLayerNorm(s, get(s.input), { rankTolerance })),
    bases: bases.map((s) => measureBasis(s, get(s.input))),
    saturations: saturations.map((s) => measureSaturation(s, get(s.output), { level })),
  };
}
