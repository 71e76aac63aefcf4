/**
 * Matrix products: `Gemm` (`alpha * op(A) · op(B) + beta * C`, C broadcast to
 * `[M, N]`) and `MatMul` (numpy semantics: 1-D operands promoted and the
 * added axis removed, leading batch axes broadcast).
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { matMul } from "../../tf/mat_mul.ts";
import { broadcastShapes, expandTo, toTensor } from "../value.ts";
import { need } from "./_util.ts";
import type { OpEntry } from "./types.ts";

function numpyMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  let x = a;
  let y = b;
  const aVec = x.rank === 1;
  const bVec = y.rank === 1;
  if (aVec) x = tf.reshape(x, [1, x.shape[0]!]);
  if (bVec) y = tf.reshape(y, [y.shape[0]!, 1]);
  let out: tf.Tensor;
  if (x.rank === 2 && y.rank === 2) {
    out = matMul(x as tf.Tensor2D, y as tf.Tensor2D);
  } else if (y.shape.slice(0, -2).every((d) => d === 1)) {
    // A batch of rows times one matrix: one 2-D product (the wasm backend's fast
    // kernel), not the matrix broadcast to every batch entry.
    const batch = broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2));
    const [m, k] = x.shape.slice(-2) as [number, number];
    const n = y.shape[y.rank - 1]!;
    const rows = matMul(
      tf.reshape(x, [-1, k]) as tf.Tensor2D,
      tf.reshape(y, [k, n]) as tf.Tensor2D,
    );
    out = expandTo(tf.reshape(rows, [...x.shape.slice(0, -2), m, n]), [...batch, m, n]);
  } else {
    const batch = broadcastShapes(x.shape.slice(0, -2), y.shape.slice(0, -2));
    const xb = expandTo(x, [...batch, ...x.shape.slice(-2)]);
    const yb = expandTo(y, [...batch, ...y.shape.slice(-2)]);
    out = matMul(xb, yb);
  }
  if (aVec && bVec) return tf.reshape(out, out.shape.slice(0, -2));
  if (aVec) return tf.reshape(out, [...out.shape.slice(0, -2), out.shape[out.rank - 1]!]);
  if (bVec) return tf.reshape(out, out.shape.slice(0, -1));
  return out;
}

/** The matrix-product ops. */
export const GEMM_OPS: readonly OpEntry[] = [
  {
    opType: "MatMul",
    translate(node, inputs, ctx) {
      return [
        numpyMatMul(toTensor(need(node, inputs, 0, ctx)), toTensor(need(node, inputs, 1, ctx))),
      ];
    },
  },
  {
    opType: "Gemm",
    translate(node, inputs, ctx) {
      const at = node.attributes;
      const alpha = at.number("alpha", 1);
      const beta = at.number("beta", 1);
      const a = toTensor(need(node, inputs, 0, ctx)) as tf.Tensor2D;
      const b = toTensor(need(node, inputs, 1, ctx)) as tf.Tensor2D;
      if (a.rank !== 2 || b.rank !== 2) {
        throw new TypeError(
          `${ctx.where(node)}: A and B must be 2-D, got [${a.shape.join(", ")}] and [${
            b.shape.join(", ")
          }]`,
        );
      }
      let y: tf.Tensor = matMul(
        a,
        b,
        at.number("transA", 0) !== 0,
        at.number("transB", 0) !== 0,
      );
      if (alpha !== 1) y = tf.mul(y, alpha);
      const c = inputs[2];
      if (c !== undefined && beta !== 0) {
        const ct = toTensor(c);
        y = tf.add(y, beta === 1 ? ct : tf.mul(ct, beta));
      }
      return [y];
    },
  },
];
