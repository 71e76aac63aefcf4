/**
 * The derivative graph: an ONNX model differentiated into an ONNX model by
 * forward mode, `x → (y, J)` (and `H` when applied twice), run by
 * onnxruntime in float32 or float64.
 *
 * @module
 */
export { buildDerivativeModel } from "./derivative_model.ts";
export type { AffineForm, DerivativeModel, DerivativeModelOptions } from "./derivative_model.ts";
export { createDerivativeRunner } from "./runner.ts";
export type { DerivativeRunner, DerivativeRunnerOptions, DerivativeValues } from "./runner.ts";
export { differentiateModel } from "./transform.ts";
export type { DerivativeTarget, DifferentiateOptions } from "./transform.ts";
export { UnsupportedDerivativeError } from "./_rule.ts";
export { DIFFERENTIABLE_OPS } from "./rules/mod.ts";
