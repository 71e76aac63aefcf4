/**
 * The composed physical-units model: scaling, ONNX model, weights and engines.
 *
 * @module
 */
export * from "./surrogate.ts";
