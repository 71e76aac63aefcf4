/**
 * Graph diagnostics: why a fit's derivatives are off, measured on the ONNX
 * graph at the evaluation points — the rank and gain of layer normalizations,
 * the share of values outside RBF / B-spline grids, and sigmoid / tanh
 * saturation.
 *
 * @example Usage
 * ```ts
 * import onnxProto from "onnx-proto";
 * import { decodeOnnxModel } from "../onnx/model.ts";
 * import { diagnoseGraph, formatDiagnostics } from "./mod.ts";
 * const vi = (name: string) => ({
 *   name,
 *   type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: 4 }] } } },
 * });
 * const bytes = onnxProto.onnx.ModelProto.encode({
 *   irVersion: 8,
 *   opsetImport: [{ domain: "", version: 17 }],
 *   graph: {
 *     node: [{ opType: "LayerNormalization", name: "ln", input: ["x", "g"], output: ["y"] }],
 *     initializer: [{ name: "g", dims: [4], dataType: 1, floatData: [1, 1, 1, 1] }],
 *     input: [vi("x")],
 *     output: [vi("y")],
 *   },
 * }).finish();
 * const d = await diagnoseGraph(decodeOnnxModel(bytes, "ln.onnx"), Float64Array.of(0, 1, 2, 3), 1);
 * // the normalization's Jacobian removes the mean and scale directions: rank 4 - 2
 * if (d.layerNorms[0]?.rank.min !== 2) throw new Error(formatDiagnostics(d));
 * ```
 *
 * @module
 */
export { diagnoseGraph } from "./diagnose_graph.ts";
export type { DiagnoseGraphOptions } from "./diagnose_graph.ts";
export { diagnosticsToJson, formatDiagnostics } from "./format.ts";
export { DEFAULT_RANK_TOLERANCE, numericalRank } from "./rank.ts";
export type { NumericalRankOptions } from "./rank.ts";
export { DEFAULT_SATURATION_LEVEL, saturationThreshold } from "./saturation.ts";
export type {
  BasisFinding,
  BSplineFinding,
  GraphDiagnostics,
  LayerNormFinding,
  Range,
  RbfFinding,
  SaturationFinding,
} from "./types.ts";
