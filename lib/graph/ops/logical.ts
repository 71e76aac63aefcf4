/**
 * Comparisons and logic: Equal, Less, LessOrEqual, Greater, GreaterOrEqual
 * (bool outputs), And, Or, Xor, Not, and Where (select with broadcasting).
 * Comparisons and logical ops carry a zero gradient: efficient-KAN's B-spline
 * bases use them on the differentiated path, and the basis derivative comes
 * through the polynomial factors, not through the masks. Where's gradient
 * uses a constant mask, so it is twice differentiable (`_smooth.ts`).
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import {
  broadcastShapes,
  expandTo,
  hostMap,
  type HostValue,
  toTensor,
  withoutGradient,
} from "../value.ts";
import * as smooth from "./_smooth.ts";
import { need } from "./_util.ts";
import type { OpEntry } from "./types.ts";

function compare(
  opType: string,
  tfFn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  hostFn: (a: number, b: number) => boolean,
): OpEntry {
  return {
    opType,
    translate(node, inputs, ctx) {
      const a = toTensor(need(node, inputs, 0, ctx));
      const b = toTensor(need(node, inputs, 1, ctx));
      // The wasm comparison kernels are ~10x slower when they broadcast: expand first.
      const dims = broadcastShapes(a.shape, b.shape);
      return [withoutGradient((p, q) => tfFn(expandTo(p, dims), expandTo(q, dims)), [a, b])];
    },
    host(node, inputs, ctx) {
      const a = need(node, inputs, 0, ctx);
      const b = need(node, inputs, 1, ctx);
      return [hostMap([a, b], "bool", (x, y) => (hostFn(x, y) ? 1 : 0))];
    },
  };
}

/** The comparison, logical and select ops. */
export const LOGICAL_OPS: readonly OpEntry[] = [
  compare("Equal", tf.equal, (a, b) => a === b),
  compare("Less", tf.less, (a, b) => a < b),
  compare("LessOrEqual", tf.lessEqual, (a, b) => a <= b),
  compare("Greater", tf.greater, (a, b) => a > b),
  compare("GreaterOrEqual", tf.greaterEqual, (a, b) => a >= b),
  compare("And", tf.logicalAnd, (a, b) => a !== 0 && b !== 0),
  compare("Or", tf.logicalOr, (a, b) => a !== 0 || b !== 0),
  compare("Xor", tf.logicalXor, (a, b) => (a !== 0) !== (b !== 0)),
  {
    opType: "Not",
    translate(node, inputs, ctx) {
      return [withoutGradient(tf.logicalNot, [toTensor(need(node, inputs, 0, ctx))])];
    },
    host(node, inputs, ctx) {
      const x = need(node, inputs, 0, ctx);
      return [{ kind: "bool", dims: x.dims, data: x.data.map((v) => (v !== 0 ? 0 : 1)) }];
    },
  },
  {
    opType: "Where",
    translate(node, inputs, ctx) {
      const c = toTensor(need(node, inputs, 0, ctx));
      const a = toTensor(need(node, inputs, 1, ctx));
      const b = toTensor(need(node, inputs, 2, ctx));
      // tf.where broadcasts with tf.broadcastTo (a slow Tile in wasm): expand first.
      const dims = broadcastShapes(c.shape, a.shape, b.shape);
      return [smooth.select(expandTo(c, dims), expandTo(a, dims), expandTo(b, dims))];
    },
    host(node, inputs, ctx) {
      const c = need(node, inputs, 0, ctx);
      const a: HostValue = need(node, inputs, 1, ctx);
      const b = need(node, inputs, 2, ctx);
      return [hostMap([c, a, b], a.kind, (p, x, y) => (p !== 0 ? x : y))];
    },
  },
];
