/**
 * Private: an index over an ONNX graph (who produces and who consumes each
 * tensor) and constant resolution through `Identity` and `Constant` nodes.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import type { OnnxModel } from "../onnx/model.ts";
import { DataType, decodeTensorProto, type HostTensor, toInt } from "../onnx/tensor.ts";

/** A graph node as decoded by onnx-proto. */
export type GraphNode = onnxProto.onnx.INodeProto;

/** Producers, consumers and constants of a model's graph. */
export interface GraphIndex {
  readonly model: OnnxModel;
  readonly nodes: readonly GraphNode[];
  /** Node that writes each tensor. */
  readonly producer: ReadonlyMap<string, GraphNode>;
  /** Nodes that read each tensor, in graph order. */
  readonly consumers: ReadonlyMap<string, readonly GraphNode[]>;
}

/** Builds the producer and consumer maps of `model`'s graph. */
export function indexGraph(model: OnnxModel): GraphIndex {
  const nodes = model.proto.graph?.node ?? [];
  const producer = new Map<string, GraphNode>();
  const consumers = new Map<string, GraphNode[]>();
  for (const node of nodes) {
    for (const out of node.output ?? []) if (out) producer.set(out, node);
    for (const input of node.input ?? []) {
      if (!input) continue;
      const list = consumers.get(input);
      if (list) {
        if (!list.includes(node)) list.push(node);
      } else consumers.set(input, [node]);
    }
  }
  return { model, nodes, producer, consumers };
}

/** Name of a node for messages and findings (its op type and first output when unnamed). */
export function nodeLabel(node: GraphNode): string {
  return node.name && node.name.length > 0
    ? node.name
    : `${node.opType} -> ${node.output?.[0] ?? "?"}`;
}

/** The consumers of `tensor` with the given op type. */
export function consumersOf(g: GraphIndex, tensor: string, opType: string): GraphNode[] {
  return (g.consumers.get(tensor) ?? []).filter((n) => n.opType === opType);
}

/** Follows `Identity` nodes back to the tensor they copy. */
export function throughIdentity(g: GraphIndex, tensor: string): string {
  let name = tensor;
  for (let guard = 0; guard < 64; guard++) {
    const p = g.producer.get(name);
    if (!p || p.opType !== "Identity" || !p.input?.[0]) return name;
    name = p.input[0];
  }
  return name;
}

/**
 * The constant value of `tensor` when it is an initializer or the output of a
 * `Constant` node, possibly through `Identity` nodes; `undefined` otherwise.
 */
export function constantOf(g: GraphIndex, tensor: string): HostTensor | undefined {
  const name = throughIdentity(g, tensor);
  const init = g.model.initializers.get(name);
  if (init) return init;
  const p = g.producer.get(name);
  if (!p || p.opType !== "Constant") return undefined;
  const attr = p.attribute?.[0];
  if (!attr) return undefined;
  const where = `${g.model.source}: node "${nodeLabel(p)}"`;
  switch (attr.name) {
    case "value":
      return attr.t ? decodeTensorProto(attr.t, where) : undefined;
    case "value_float":
      return { dims: [], dataType: DataType.FLOAT, data: Float32Array.of(attr.f ?? 0) };
    case "value_floats":
      return {
        dims: [attr.floats?.length ?? 0],
        dataType: DataType.FLOAT,
        data: Float32Array.from(attr.floats ?? []),
      };
    case "value_int":
      return { dims: [], dataType: DataType.INT64, data: BigInt64Array.of(BigInt(toInt(attr.i))) };
    case "value_ints":
      return {
        dims: [attr.ints?.length ?? 0],
        dataType: DataType.INT64,
        data: BigInt64Array.from((attr.ints ?? []).map((v) => BigInt(toInt(v)))),
      };
    default:
      return undefined;
  }
}

/** The values of a numeric constant as float64 (int64 converted). */
export function constantValues(t: HostTensor): Float64Array {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(t.data[i]!);
  return out;
}

/** A float constant (initializer or `Constant`) as float64 values with its dims, or `undefined`. */
export function floatConstant(
  g: GraphIndex,
  tensor: string,
): { dims: readonly number[]; values: Float64Array } | undefined {
  const t = constantOf(g, tensor);
  if (!t || (t.dataType !== DataType.FLOAT && t.dataType !== DataType.DOUBLE)) return undefined;
  return { dims: t.dims, values: constantValues(t) };
}

/** An attribute by name, or `undefined`. */
export function attribute(
  node: GraphNode,
  name: string,
): onnxProto.onnx.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

/** An integer attribute, or `fallback`. */
export function intAttribute(node: GraphNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? toInt(a.i) : fallback;
}

/** An integer-list attribute, or `undefined`. */
export function intsAttribute(node: GraphNode, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map(toInt) : undefined;
}

/** A float attribute, or `fallback`. */
export function floatAttribute(node: GraphNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a && a.f !== null && a.f !== undefined ? a.f : fallback;
}

/**
 * True when `tensor` is the model's input, possibly through `Identity` nodes.
 */
export function isModelInput(g: GraphIndex, tensor: string): boolean {
  return throughIdentity(g, tensor) === g.model.input.name;
}
