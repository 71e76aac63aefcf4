/**
 * Elementwise arithmetic with ONNX (numpy) broadcasting: Add, Sub, Mul, Div,
 * Pow, the variadic Min, Max, Sum, Mean, and the unary Neg, Abs, Sqrt, Exp,
 * Log, Reciprocal, Sign, Floor, Ceil (the last three with a zero gradient,
 * as their derivative is 0 wherever it exists).
 * Host values (shape arithmetic, constants) are computed on the host in
 * float64; integer Div truncates toward zero as onnxruntime does.
 *
 * `Pow` with a constant exponent never differentiates through the exponent;
 * an exponent of exactly 2 uses `tf.square` (gradient `2x`, exact at negative
 * bases); a tensor exponent gets a twice-differentiable gradient. Exp, Min,
 * Max, Abs and Pow are twice differentiable (see `_smooth.ts`).
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import {
  broadcastShapes,
  expandTo,
  hostMap,
  type HostValue,
  isHost,
  kindOf,
  toTensor,
  type Value,
  withoutGradient,
} from "../value.ts";
import * as smooth from "./_smooth.ts";
import { need, unary } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

function binary(
  opType: string,
  tfFn: Binary,
  hostFn: (a: number, b: number) => number,
  intFn?: (a: number, b: number) => number,
): OpEntry {
  return {
    opType,
    translate(node, inputs, ctx) {
      const a = need(node, inputs, 0, ctx);
      const b = need(node, inputs, 1, ctx);
      return [tfFn(toTensor(a), toTensor(b))];
    },
    host(node, inputs, ctx) {
      const a = need(node, inputs, 0, ctx);
      const b = need(node, inputs, 1, ctx);
      const fn = a.kind === "int" && intFn ? intFn : hostFn;
      return [hostMap([a, b], a.kind, fn)];
    },
  };
}

function variadic(
  opType: string,
  tfFn: Binary,
  hostFn: (a: number, b: number) => number,
): OpEntry {
  return {
    opType,
    translate(node, inputs, ctx) {
      const present = inputs.filter((v): v is Value => v !== undefined);
      if (present.length === 0) throw new TypeError(`${ctx.where(node)}: no inputs`);
      let acc = toTensor(present[0]!);
      for (const v of present.slice(1)) acc = tfFn(acc, toTensor(v));
      return [acc];
    },
    host(node, inputs, ctx) {
      const present = inputs.filter((v): v is HostValue => v !== undefined);
      if (present.length === 0) throw new TypeError(`${ctx.where(node)}: no inputs`);
      let acc = present[0]!;
      for (const v of present.slice(1)) acc = hostMap([acc, v], acc.kind, hostFn);
      return [acc];
    },
  };
}

function divide(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype !== "int32") return tf.div(a, b);
  return withoutGradient((p, q) => {
    const r = tf.div(tf.cast(p, "float32"), tf.cast(q, "float32"));
    return tf.cast(tf.mul(tf.sign(r), tf.floor(tf.abs(r))), "int32");
  }, [a, b]);
}

function power(
  node: PlannedNode,
  inputs: readonly (Value | undefined)[],
  ctx: TranslateContext,
): tf.Tensor[] {
  const x = toTensor(need(node, inputs, 0, ctx));
  const y = need(node, inputs, 1, ctx);
  if (isHost(y)) {
    const first = y.data[0];
    const uniform = y.data.length > 0 && y.data.every((v) => v === first);
    if (uniform && first === 2) {
      const out = broadcastShapes(x.shape, y.dims);
      const sq = tf.square(x);
      return [
        out.every((d, i) => d === x.shape[i]) && out.length === x.rank ? sq : expandTo(sq, out),
      ];
    }
    // The exponent is a constant: a fresh float tensor, so the tape holds no path to it.
    const e = toTensor({ kind: "float", dims: y.dims, data: y.data });
    return [tf.pow(x, e)];
  }
  const e = kindOf(y) === "float" ? y : tf.cast(y, "float32");
  return [smooth.power(x, e)];
}

const sum = variadic("Sum", tf.add, (a, b) => a + b);

/** The elementwise arithmetic ops. */
export const ELEMENTWISE_OPS: readonly OpEntry[] = [
  binary("Add", tf.add, (a, b) => a + b),
  binary("Sub", tf.sub, (a, b) => a - b),
  binary("Mul", tf.mul, (a, b) => a * b),
  binary("Div", divide, (a, b) => a / b, (a, b) => Math.trunc(a / b)),
  {
    opType: "Pow",
    translate: power,
    host(node, inputs, ctx) {
      const a = need(node, inputs, 0, ctx);
      const b = need(node, inputs, 1, ctx);
      return [hostMap([a, b], a.kind, Math.pow)];
    },
  },
  variadic(
    "Min",
    (a, b) => (a.dtype === "float32" ? smooth.minimum(a, b) : tf.minimum(a, b)),
    Math.min,
  ),
  variadic(
    "Max",
    (a, b) => (a.dtype === "float32" ? smooth.maximum(a, b) : tf.maximum(a, b)),
    Math.max,
  ),
  sum,
  {
    opType: "Mean",
    translate(node, inputs, ctx) {
      const n = inputs.filter((v) => v !== undefined).length;
      return [tf.div(sum.translate(node, inputs, ctx)[0] as tf.Tensor, n)];
    },
    host(node, inputs, ctx) {
      const n = inputs.filter((v) => v !== undefined).length;
      const total = sum.host!(node, inputs, ctx)[0]!;
      return [{ ...total, data: total.data.map((v) => v / n) }];
    },
  },
  unary("Neg", tf.neg, (x) => -x),
  unary("Abs", (x) => (x.dtype === "float32" ? smooth.abs(x) : tf.abs(x)), Math.abs),
  unary("Sqrt", tf.sqrt, Math.sqrt),
  unary("Exp", smooth.exp, Math.exp),
  unary("Log", tf.log, Math.log),
  unary("Reciprocal", tf.reciprocal, (x) => 1 / x),
  unary("Sign", tf.sign, Math.sign),
  unary("Floor", (x) => (x.dtype === "int32" ? x : tf.floor(x)), Math.floor),
  unary("Ceil", (x) => (x.dtype === "int32" ? x : tf.ceil(x)), Math.ceil),
];
