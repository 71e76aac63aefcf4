/**
 * Checks of a decoded ONNX graph made before anything runs it, so that a
 * broken or hostile file is refused with one line naming the file and the
 * node, not by onnxruntime's multi-line log or an allocation failure:
 *
 * - every node input is a graph input, an initializer or a node output, and
 *   no value is produced twice;
 * - the nodes have an order (no cycle) and every graph output is produced;
 * - no declared size is beyond the element limit: initializer and constant
 *   dims, the dims of inputs, outputs and value infos, and the constant shape
 *   operands of `ConstantOfShape`, `Expand`, `Tile`, `Reshape` and `Range`;
 *   the model's input and output width is within the width limit.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { limits, raiseHint } from "../io/limits.ts";
import { escapeControl, quote } from "../io/quote.ts";
import { DataType, toInt } from "./tensor.ts";

type Graph = onnxProto.onnx.IGraphProto;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;

/**
 * Checks `graph` (see the module documentation).
 *
 * @param graph The main graph of a decoded model.
 * @param source The file, for messages.
 * @throws {SyntaxError} An undefined input, a value produced twice, a cycle, an output never produced.
 * @throws {RangeError} A declared size beyond the limits.
 */
export function checkGraph(graph: Graph, source: string): void {
  const { maxTensorElements: maxElements, maxModelWidth: maxWidth } = limits();
  const nodes = graph.node ?? [];
  const label = (node: Node, i: number) =>
    `node ${quote(node.name || `#${i}`, 60)} (${escapeControl((node.opType ?? "").slice(0, 30))})`;
  const tooBig = (what: string, count: number | string): never => {
    throw new RangeError(
      `Cannot read ${source}: ${what} declares ${count} elements, more than the limit of ${maxElements} (${
        raiseHint("maxTensorElements")
      })`,
    );
  };

  // Declared sizes.
  const elements = (dims: readonly unknown[]): number =>
    dims.reduce<number>((n, d) => n * Math.max(0, toInt(d as number)), 1);
  const initializers = new Map<string, Tensor>();
  for (const t of graph.initializer ?? []) {
    const n = elements(t.dims ?? []);
    if (!(n <= maxElements)) tooBig(`initializer ${quote(t.name ?? "", 60)}`, n);
    initializers.set(t.name ?? "", t);
  }
  const valueInfos = [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])];
  for (const info of valueInfos) {
    const dims = info.type?.tensorType?.shape?.dim ?? [];
    const n = elements(dims.map((d) => (d.dimValue === null ? 1 : d.dimValue ?? 1)));
    if (!(n <= maxElements)) tooBig(`value ${quote(info.name ?? "", 60)}`, n);
  }
  for (const port of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    const dims = port.type?.tensorType?.shape?.dim ?? [];
    const width = dims.length === 2 ? toInt(dims[1]!.dimValue) : 0;
    if (width > maxWidth) {
      throw new RangeError(
        `Cannot read ${source}: ${
          quote(port.name ?? "", 60)
        } is ${width} wide, more than the limit of ${maxWidth} (${raiseHint("maxModelWidth")})`,
      );
    }
  }

  // Names: defined before use (in some order), produced once, outputs produced.
  const producer = new Map<string, number>();
  const graphInputs = new Set((graph.input ?? []).map((v) => v.name ?? ""));
  nodes.forEach((node, i) => {
    for (const out of node.output ?? []) {
      if (out === "") continue;
      if (producer.has(out) || graphInputs.has(out) || initializers.has(out)) {
        throw new SyntaxError(
          `Cannot read ${source}: ${label(node, i)} produces ${
            quote(out, 60)
          }, which is already defined`,
        );
      }
      producer.set(out, i);
    }
  });
  const constants = new Map<string, Tensor>(initializers);
  nodes.forEach((node, i) => {
    for (const input of node.input ?? []) {
      if (
        input === "" || producer.has(input) || graphInputs.has(input) || initializers.has(input)
      ) {
        continue;
      }
      throw new SyntaxError(
        `Cannot read ${source}: ${label(node, i)} reads ${
          quote(input, 60)
        }, which is neither a graph input, an initializer nor a node output`,
      );
    }
    for (const attr of node.attribute ?? []) {
      for (const t of [attr.t, ...(attr.tensors ?? [])]) {
        if (!t) continue;
        const n = elements(t.dims ?? []);
        if (!(n <= maxElements)) tooBig(`the constant of ${label(node, i)}`, n);
      }
    }
    if (node.opType === "Constant" && node.attribute?.[0]?.t && node.output?.[0]) {
      constants.set(node.output[0], node.attribute[0].t);
    }
  });
  for (const out of graph.output ?? []) {
    const name = out.name ?? "";
    if (!producer.has(name) && !graphInputs.has(name) && !initializers.has(name)) {
      throw new SyntaxError(`Cannot read ${source}: output ${quote(name, 60)} is never produced`);
    }
  }

  // A cycle: Kahn's algorithm over node-to-node edges.
  const dependents: number[][] = nodes.map(() => []);
  const waiting = nodes.map(() => 0);
  nodes.forEach((node, i) => {
    for (const input of new Set(node.input ?? [])) {
      const from = producer.get(input);
      if (from === undefined) continue;
      dependents[from]!.push(i);
      waiting[i]!++;
    }
  });
  const ready = waiting.flatMap((w, i) => (w === 0 ? [i] : []));
  let ordered = 0;
  while (ready.length > 0) {
    const i = ready.pop()!;
    ordered++;
    for (const j of dependents[i]!) if (--waiting[j]! === 0) ready.push(j);
  }
  if (ordered < nodes.length) {
    const stuck = waiting.findIndex((w) => w > 0);
    throw new SyntaxError(
      `Cannot read ${source}: the graph has a cycle through ${label(nodes[stuck]!, stuck)}`,
    );
  }

  // Constant shape operands: what the node will allocate.
  const ints = (name: string | undefined): number[] | undefined => {
    const t = name === undefined ? undefined : constants.get(name);
    if (!t) return undefined;
    if (t.dataType === DataType.INT64) {
      if (t.rawData && t.rawData.length > 0) {
        const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
        return Array.from(
          { length: Math.floor(t.rawData.byteLength / 8) },
          (_, k) => Number(view.getBigInt64(8 * k, true)),
        );
      }
      return (t.int64Data ?? []).map((v) => toInt(v));
    }
    if (t.dataType === DataType.INT32) {
      if (t.rawData && t.rawData.length > 0) {
        const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
        return Array.from(
          { length: Math.floor(t.rawData.byteLength / 4) },
          (_, k) => view.getInt32(4 * k, true),
        );
      }
      return [...(t.int32Data ?? [])];
    }
    return undefined;
  };
  const scalar = (name: string | undefined): number | undefined => {
    const t = name === undefined ? undefined : constants.get(name);
    if (!t) return undefined;
    const view = t.rawData && t.rawData.length > 0
      ? new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength)
      : undefined;
    switch (t.dataType) {
      case DataType.FLOAT:
        return view ? view.getFloat32(0, true) : t.floatData?.[0];
      case DataType.DOUBLE:
        return view ? view.getFloat64(0, true) : t.doubleData?.[0];
      case DataType.INT64:
        return view ? Number(view.getBigInt64(0, true)) : toInt(t.int64Data?.[0]);
      case DataType.INT32:
        return view ? view.getInt32(0, true) : t.int32Data?.[0];
      default:
        return undefined;
    }
  };
  nodes.forEach((node, i) => {
    const inputs = node.input ?? [];
    let count: number | undefined;
    switch (node.opType) {
      case "ConstantOfShape":
      case "Expand":
      case "Reshape": {
        const shape = ints(inputs[node.opType === "ConstantOfShape" ? 0 : 1]);
        if (shape) count = elements(shape.map((d) => (d <= 0 ? 1 : d)));
        break;
      }
      case "Tile": {
        const repeats = ints(inputs[1]);
        if (repeats) count = elements(repeats.map((d) => Math.max(1, d)));
        break;
      }
      case "Range": {
        const [start, limit, delta] = [0, 1, 2].map((k) => scalar(inputs[k]));
        if (start !== undefined && limit !== undefined && delta !== undefined) {
          count = delta === 0 ? Infinity : Math.max(0, Math.ceil((limit - start) / delta));
        }
        break;
      }
    }
    if (count !== undefined && !(count <= maxElements)) {
      tooBig(`${label(node, i)}`, Number.isFinite(count) ? count : "infinitely many");
    }
  });
}
