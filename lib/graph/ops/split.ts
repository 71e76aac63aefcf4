/**
 * `Split` along `axis` (default 0) into the node's outputs: sizes from the
 * `split` input (opset 13+) or attribute (before), else equal parts (from
 * opset 18, `num_outputs` parts of `ceil(d / n)`, the last one smaller).
 * Tensors split with a concatenation as gradient; host values by index
 * arithmetic.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import {
  dimsOf,
  hostTake,
  type HostValue,
  isHost,
  normalizeAxis,
  stridedOffsets,
  stridesOf,
  type Value,
} from "../value.ts";
import { ints, need } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

type Inputs = readonly (Value | undefined)[];

function splitSizes(node: PlannedNode, inputs: Inputs, ctx: TranslateContext, d: number) {
  const n = node.outputs.length;
  const given = node.opset >= 13
    ? (inputs[1] === undefined ? undefined : ints(inputs[1]))
    : node.attributes.numbers("split");
  if (given !== undefined && given.length > 0) {
    const total = given.reduce((a, b) => a + b, 0);
    if (given.length !== n || total !== d || given.some((s) => s < 0)) {
      throw new RangeError(
        `${ctx.where(node)}: split [${given.join(", ")}] does not divide ${d} into ${n} outputs`,
      );
    }
    return [...given];
  }
  if (node.opset >= 18 && node.attributes.has("num_outputs")) {
    const parts = node.attributes.number("num_outputs", n);
    const chunk = Math.ceil(d / parts);
    return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, d - i * chunk)));
  }
  if (d % n !== 0) {
    throw new RangeError(`${ctx.where(node)}: cannot split ${d} into ${n} equal parts`);
  }
  return new Array<number>(n).fill(d / n);
}

function split(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): Value[] {
  const x = need(node, inputs, 0, ctx);
  const dims = dimsOf(x);
  const axis = normalizeAxis(node.attributes.number("axis", 0), dims.length, ctx.where(node));
  const sizes = splitSizes(node, inputs, ctx, dims[axis]!);
  if (!isHost(x)) return tf.split(x, sizes, axis);
  const strides = stridesOf(dims);
  let start = 0;
  return sizes.map((size) => {
    const out = dims.map((d, i) => (i === axis ? size : d));
    const piece = hostTake(x, out, stridedOffsets(out, strides, start * strides[axis]!));
    start += size;
    return piece;
  });
}

/** The split op. */
export const SPLIT_OPS: readonly OpEntry[] = [
  { opType: "Split", translate: split, host: (n, i, c) => split(n, i, c) as HostValue[] },
];
