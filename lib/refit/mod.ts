/**
 * Gradient-enhanced (Sobolev) refit of a surrogate: train its PyTorch weights
 * on values and Jacobians in TensorFlow.js, then hand them back to PyTorch as
 * safetensors with the original state_dict keys, and as an updated ONNX model.
 *
 * @example Usage
 * ```ts
 * import { formatRefitTable } from "./mod.ts";
 * const m = (e: number) => ({
 *   points: 1, entries: [],
 *   outputs: [{
 *     output: "f", r2: 1, valueRangeNormalizedError: 0,
 *     jacobianRowNormalizedError: e, jacobianRowNormalizedMedian: e,
 *   }],
 * });
 * if (!formatRefitTable(m(2), m(1)).includes("2.0x")) throw new Error("unexpected table");
 * ```
 *
 * @module
 */
export * from "./adaptive.ts";
export * from "./data.ts";
export * from "./explain.ts";
export * from "./lbfgs.ts";
export * from "./objective.ts";
export * from "./parameters.ts";
export * from "./loss.ts";
export * from "./metrics.ts";
export * from "./refit.ts";
export * from "./table.ts";
export * from "./write_back.ts";
