/**
 * `Conv` in one spatial dimension (input `[N, C, L]`, weight `[O, C/group, K]`,
 * optional bias `[O]`), with strides, dilations, pads or `auto_pad`, and
 * groups. Computed as one selection of the K shifted (strided, dilated,
 * zero-padded) copies of the input, planned on the host (`_select.ts`), and
 * one matrix product with the weight: its gradients, to the input and to the
 * weight, are selections and matrix products too, at every order (tfjs's
 * `conv1d` gradient to the weight needs `Conv2DBackpropFilter`, which the
 * WebAssembly backend lacks). Other ranks are refused at build time.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { matMul } from "../../tf/mat_mul.ts";
import { toTensor } from "../value.ts";
import { selectAlong } from "./_select.ts";
import { need, refuse } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

/** Padding before and after the axis of length `l`. */
function padsOf(node: PlannedNode, l: number, k: number, s: number, d: number): [number, number] {
  const autoPad = node.attributes.string("auto_pad", "NOTSET");
  if (autoPad === "VALID") return [0, 0];
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    const out = Math.ceil(l / s);
    const total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - l);
    const half = Math.floor(total / 2);
    return autoPad === "SAME_UPPER" ? [half, total - half] : [total - half, half];
  }
  const pads = node.attributes.numbers("pads") ?? [0, 0];
  return [pads[0] ?? 0, pads[1] ?? 0];
}

function conv1d(
  node: PlannedNode,
  x: tf.Tensor,
  w: tf.Tensor,
  bias: tf.Tensor | undefined,
  ctx: TranslateContext,
): tf.Tensor {
  if (x.rank !== 3 || w.rank !== 3) {
    throw refuse(
      node,
      ctx,
      `input [${x.shape.join(", ")}] and weight [${
        w.shape.join(", ")
      }] are not a 1-D convolution, the only one supported`,
    );
  }
  const [n, c, l] = x.shape as [number, number, number];
  const [o, cg, k] = w.shape as [number, number, number];
  const g = node.attributes.number("group", 1);
  if (cg * g !== c || o % g !== 0) {
    throw new TypeError(
      `${ctx.where(node)}: weight [${
        w.shape.join(", ")
      }] with group ${g} does not fit ${c} input channels`,
    );
  }
  const s = node.attributes.numbers("strides")?.[0] ?? 1;
  const d = node.attributes.numbers("dilations")?.[0] ?? 1;
  const [before, after] = padsOf(node, l, k, s, d);
  const lout = Math.floor((l + before + after - d * (k - 1) - 1) / s) + 1;
  if (lout < 1) {
    throw new RangeError(`${ctx.where(node)}: input length ${l} is shorter than the kernel`);
  }
  // taps[:, :, tap * lout + t] = x[:, :, t * s + tap * d - before] (zero outside).
  const map = new Int32Array(k * lout);
  for (let tap = 0; tap < k; tap++) {
    for (let t = 0; t < lout; t++) {
      const i = t * s + tap * d - before;
      map[tap * lout + t] = i >= 0 && i < l ? i : -1;
    }
  }
  const taps = tf.reshape(selectAlong(x, 2, map), [n, g, cg * k, lout]);
  const cols = tf.reshape(tf.transpose(taps, [1, 2, 0, 3]), [g, cg * k, n * lout]);
  const y = matMul(tf.reshape(w, [g, o / g, cg * k]), cols); // [g, o/g, n * lout]
  const out = tf.transpose(tf.reshape(y, [o, n, lout]), [1, 0, 2]);
  return bias ? tf.add(out, tf.reshape(bias, [1, o, 1])) : out;
}

/** The convolution op. */
export const CONV_OPS: readonly OpEntry[] = [
  {
    opType: "Conv",
    limits: "1-D only (input [N, C, L])",
    check(node, ctx, constant) {
      const kernel = node.attributes.numbers("kernel_shape") ?? constant(1)?.dims.slice(2);
      if (kernel !== undefined && kernel.length !== 1) {
        throw refuse(
          node,
          ctx,
          `a ${kernel.length}-D convolution (kernel [${
            kernel.join(", ")
          }]) is not supported, only 1-D`,
        );
      }
    },
    translate(node, inputs, ctx) {
      const x = toTensor(need(node, inputs, 0, ctx));
      const w = toTensor(need(node, inputs, 1, ctx));
      const b = inputs[2] === undefined ? undefined : toTensor(inputs[2]);
      return [conv1d(node, x, w, b, ctx)];
    },
  },
];
