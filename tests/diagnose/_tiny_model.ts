/**
 * Test helper: tiny ONNX models `x [N, n] -> y [N, m]` built with onnx-proto
 * and decoded into an {@linkcode OnnxModel}.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { decodeOnnxModel, type OnnxModel } from "../../lib/onnx/model.ts";
import { DataType, encodeTensorProto } from "../../lib/onnx/tensor.ts";

/** A node: op type, inputs, outputs, attributes and a name (default `<op>_<output>`). */
export function node(
  opType: string,
  input: string[],
  output: string[],
  attribute: onnxProto.onnx.IAttributeProto[] = [],
  name = `${opType}_${output[0]}`,
): onnxProto.onnx.INodeProto {
  return { opType, input, output, attribute, name };
}

/** Attribute builders. */
export const attr = {
  int: (name: string, i: number): onnxProto.onnx.IAttributeProto => ({ name, type: 2, i }),
  float: (name: string, f: number): onnxProto.onnx.IAttributeProto => ({ name, type: 1, f }),
  ints: (name: string, ints: number[]): onnxProto.onnx.IAttributeProto => ({ name, type: 7, ints }),
};

/** A float initializer. */
export function floats(name: string, dims: number[], data: number[]): onnxProto.onnx.ITensorProto {
  return encodeTensorProto(name, { dims, dataType: DataType.FLOAT, data: Float32Array.from(data) });
}

/** An int64 initializer. */
export function ints(name: string, data: number[]): onnxProto.onnx.ITensorProto {
  return encodeTensorProto(name, {
    dims: [data.length],
    dataType: DataType.INT64,
    data: BigInt64Array.from(data.map(BigInt)),
  });
}

/** A `Constant` node holding a float tensor. */
export function constant(
  output: string,
  dims: number[],
  data: number[],
): onnxProto.onnx.INodeProto {
  return node("Constant", [], [output], [{
    name: "value",
    type: 4,
    t: floats("", dims, data),
  }]);
}

function io(name: string, width: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: [{ dimParam: "N" }, { dimValue: width }] },
      },
    },
  };
}

/** A tiny float32 model with input `x [N, n]` and output `y [N, m]`. */
export function tinyModel(
  parts: {
    nodes: onnxProto.onnx.INodeProto[];
    initializers?: onnxProto.onnx.ITensorProto[];
    n: number;
    m: number;
    opset?: number;
  },
  source = "tiny.onnx",
): OnnxModel {
  const bytes = onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    producerName: "partials-tests",
    opsetImport: [{ domain: "", version: parts.opset ?? 17 }],
    graph: {
      name: "tiny",
      node: parts.nodes,
      initializer: parts.initializers ?? [],
      input: [io("x", parts.n)],
      output: [io("y", parts.m)],
    },
  }).finish();
  return decodeOnnxModel(bytes, source);
}
