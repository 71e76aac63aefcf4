/**
 * Tiny ONNX models for the refit tests, built in memory.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { decodeOnnxModel, type OnnxModel } from "../../lib/onnx/model.ts";

const valueInfo = (name: string, width: number) => ({
  name,
  type: {
    tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: width }] } },
  },
});

/** A float initializer. */
export function init(name: string, dims: number[], values: number[]) {
  return { name, dims, dataType: 1, floatData: values };
}

/** Row-major values of a tiny MLP `y = σ(x·W1 + b1)·W2`, n = 2, hidden 3, m = 2. */
export const MLP = {
  w1: [0.5, -1.0, 0.8, 1.2, 0.3, -0.7], // [2, 3]
  b1: [0.1, -0.2, 0.3], // [3]
  w2: [1.0, -0.5, 0.4, 0.9, -1.1, 0.6], // [3, 2]
};

/** The tiny MLP as an ONNX model with initializers `w1`, `b1`, `w2`. */
export function tinyMlp(): OnnxModel {
  const bytes = onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      node: [
        { opType: "MatMul", input: ["x", "w1"], output: ["a"] },
        { opType: "Add", input: ["a", "b1"], output: ["z"] },
        { opType: "Sigmoid", input: ["z"], output: ["h"] },
        { opType: "MatMul", input: ["h", "w2"], output: ["y"] },
      ],
      initializer: [
        init("w1", [2, 3], MLP.w1),
        init("b1", [3], MLP.b1),
        init("w2", [3, 2], MLP.w2),
      ],
      input: [valueInfo("x", 2)],
      output: [valueInfo("y", 2)],
    },
  }).finish();
  return decodeOnnxModel(bytes, "tiny_mlp.onnx");
}

/**
 * A model whose weight appears twice, as constant folding leaves a tied
 * `Linear` weight: `h = σ(x·fc.weightᵀ)` through a folded transposed copy
 * `onnx::MatMul_7`, then `y = h·fc.weight` through the initializer named like
 * the key. State_dict: `fc.weight` `[2, 2]` (not symmetric).
 */
export function tiedModel(weight: number[]): OnnxModel {
  const transposed = [weight[0]!, weight[2]!, weight[1]!, weight[3]!];
  const bytes = onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      node: [
        { opType: "MatMul", input: ["x", "onnx::MatMul_7"], output: ["a"] },
        { opType: "Sigmoid", input: ["a"], output: ["h"] },
        { opType: "MatMul", input: ["h", "fc.weight"], output: ["y"] },
      ],
      initializer: [
        init("onnx::MatMul_7", [2, 2], transposed),
        init("fc.weight", [2, 2], weight),
      ],
      input: [valueInfo("x", 2)],
      output: [valueInfo("y", 2)],
    },
  }).finish();
  return decodeOnnxModel(bytes, "tied.onnx");
}
