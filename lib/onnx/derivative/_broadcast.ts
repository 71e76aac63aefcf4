/**
 * A rewrite for onnxruntime's speed, exact in value: an elementwise op whose
 * operand is broadcast along a short innermost axis (`[B, 30, 1] - [30, 8]`,
 * the RBF and B-spline bases of KANs; `[n, B, 30, 1] ⊙ [B, 30, 8]`, their
 * tangents) runs onnxruntime's per-span broadcast loop, one call per 8
 * elements, 3–7× slower than the same op on equal innermost axes. Expanding
 * that operand first with `MatMul(x, ones[1, K])` (each entry times 1, one
 * term: exact) gives the op long spans.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { DataType } from "../tensor.ts";
import { type GraphBuilder, isOne } from "./_graph_builder.ts";

const ELEMENTWISE = new Set([
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Pow",
  "Max",
  "Min",
  "PRelu",
  "Where",
  "Equal",
  "Less",
  "LessOrEqual",
  "Greater",
  "GreaterOrEqual",
]);

/** Innermost axes up to this size are expanded (longer spans amortize the loop). */
const MAX_SHORT_AXIS = 64;

/**
 * The nodes with every operand that is broadcast along a short innermost axis
 * expanded beforehand (new nodes emitted through `b`, inserted before their
 * first consumer).
 */
export function expandShortBroadcasts(
  b: GraphBuilder,
  nodes: readonly onnxProto.onnx.INodeProto[],
): onnxProto.onnx.INodeProto[] {
  const out: onnxProto.onnx.INodeProto[] = [];
  const expanded = new Map<string, string>();
  for (const node of nodes) {
    const opType = node.opType ?? "";
    const output = node.output?.[0] ?? "";
    if ((node.domain ?? "") !== "" || !ELEMENTWISE.has(opType) || !b.knows(output)) {
      out.push(node);
      continue;
    }
    const outDims = b.dims(output);
    const last = outDims[outDims.length - 1];
    if (
      last === undefined || last === null || last[0] !== last[1] || last[0] < 2 ||
      last[0] > MAX_SHORT_AXIS
    ) {
      out.push(node);
      continue;
    }
    const k = last[0];
    const inputs = [...(node.input ?? [])];
    const start = b.nodes.length;
    inputs.forEach((name, i) => {
      if (name === "" || !b.knows(name) || (opType === "Where" && i === 0)) return;
      const dims = b.dims(name);
      const type = b.elemType(name);
      if (type !== DataType.FLOAT && type !== DataType.DOUBLE) return;
      if (dims.length < 2 || !isOne(dims[dims.length - 1]!) || dims.every(isOne)) return;
      const key = `${name}:${k}`;
      let wide = expanded.get(key);
      if (wide === undefined) {
        const ones = b.constant(new Array<number>(k).fill(1), [1, k], type);
        wide = b.op("MatMul", [name, ones], {
          dims: [...dims.slice(0, -1), [k, k]],
          elemType: type,
          hint: "expand",
        });
        expanded.set(key, wide);
      }
      inputs[i] = wide;
    });
    out.push(...b.nodes.splice(start));
    out.push(inputs.every((s, i) => s === node.input?.[i]) ? node : { ...node, input: inputs });
  }
  return out;
}
