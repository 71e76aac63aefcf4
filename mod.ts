/**
 * partials: are the derivatives of a PyTorch-trained surrogate model right, in
 * the units you care about?
 *
 * Load the ONNX export of the model with its scaling file, and compute its
 * Jacobians in physical units — by reverse-mode autodiff through the graph
 * rebuilt in TensorFlow.js (float32), or by central finite differences of a
 * float64 copy run in onnxruntime — next to an analytic reference evaluated in
 * float64 with exact symbolic derivatives. Shapes: points `[N, n]`, outputs
 * `[N, m]`, Jacobians `[N, m, n]` with `values[(k*m + i)*n + j] = ∂y_i/∂x_j`.
 *
 * @example Check a bundled model against the seed equations
 * ```ts
 * import { checkModel, loadReference, loadSurrogate } from "./mod.ts";
 *
 * const data = new URL("./data/", import.meta.url).pathname;
 * const model = await loadSurrogate(`${data}models/mlp/model.onnx`, {
 *   scaling: `${data}seed/olhs_samples_max_min.csv`,
 * });
 * const reference = await loadReference(`${data}seed/equations.json`);
 * const x = new Float64Array([1.0, 1.5, 2.0, 1.2, 0.8, 2.2, 1.1, 1.9]); // two points, physical units
 * const result = await checkModel(model, reference, x);
 * await model.dispose();
 *
 * // The toolkit's own numbers are consistent; the fit's derivatives are what is off.
 * if (!result.verdict.scalingConsistent || !result.verdict.differentiationCorrect) {
 *   throw new Error(result.verdict.diagnosis);
 * }
 * const dF2dX3 = result.jacobians.reference.values[1 * 4 + 2]; // point 0, ∂f2/∂x3
 * if (dF2dX3 !== 5) throw new Error(`expected the exact derivative 5, got ${dF2dX3}`);
 * ```
 *
 * @module
 */
export * from "./lib/io/mod.ts";
export * from "./lib/scaling/mod.ts";
export * from "./lib/reference/mod.ts";
export * from "./lib/sampling/mod.ts";
export * from "./lib/onnx/mod.ts";
export * from "./lib/graph/mod.ts";
export {
  applyStateDict,
  coverage,
  describeWeightMap,
  initializerFromParameters,
  loadStateDict,
  loadWeightsFor,
  mapStateDict,
  mapWeights,
  readSafetensors,
  readTorchZip,
  UnsafePickleError,
  unusedKeys,
  WeightMappingError,
  writeSafetensors,
} from "./lib/weights/mod.ts";
export type {
  InitializerMapping,
  InitializerSource,
  KeyMapping,
  KeyRelation,
  LoadedWeights,
  LoadWeightsForOptions,
  MapWeightsOptions,
  StateDict,
  StateDtype,
  StateTensor,
  WeightMap,
  WeightMapRow,
} from "./lib/weights/mod.ts";
export * from "./lib/jacobian/mod.ts";
export * from "./lib/compare/mod.ts";
export * from "./lib/diagnose/mod.ts";
export * from "./lib/surrogate/mod.ts";
export * from "./lib/check/mod.ts";
export * from "./lib/verdict/mod.ts";
export * from "./lib/refit/mod.ts";
export * from "./lib/report/mod.ts";
export { initTf } from "./lib/tf/backend.ts";
export type { InitTfOptions } from "./lib/tf/backend.ts";
