/**
 * The ONNX graph rebuilt in TensorFlow.js: a generic interpreter over a
 * registry of op translators (one module per op family), giving a
 * differentiable `[N, n] -> [N, m]` function whose float initializers can be
 * overridden by trainable tensors.
 *
 * @module
 */
export { buildTfModel } from "./tf_model.ts";
export type { BuildTfModelOptions, TfModel } from "./tf_model.ts";
export { UnsupportedNodeError, UnsupportedOpError } from "./errors.ts";
export type { UnsupportedOp, UnsupportedOpErrorOptions } from "./errors.ts";
export { SUPPORTED_OPS } from "./ops/mod.ts";
export { compileGraph } from "./interpreter.ts";
export type { CompiledGraph, CompileGraphOptions } from "./interpreter.ts";
export type { ElementKind, HostValue, Value } from "./value.ts";
