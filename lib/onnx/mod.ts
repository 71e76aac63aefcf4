/**
 * ONNX models: decoding, editing (initializers, float64 copy) and the
 * onnxruntime-node forward pass.
 *
 * @module
 */
export {
  decodeOnnxModel,
  encodeOnnxModel,
  loadOnnxModel,
  replaceInitializers,
  toFloat64,
} from "./model.ts";
export type { HostTensor, OnnxDataArray, OnnxModel, OnnxPort } from "./model.ts";
export { createOrtRunner } from "./ort_runner.ts";
export type { OrtDtype, OrtRunner, OrtRunnerOptions } from "./ort_runner.ts";
export { DataType, dataTypeName, decodeTensorProto, encodeTensorProto } from "./tensor.ts";
export * from "./derivative/mod.ts";
