/**
 * Softmax and LogSoftmax. From opset 13 along `axis` (default -1); before,
 * the input is read as 2-D, `[prod(dims[:axis]), prod(dims[axis:])]` (axis
 * default 1), and normalized along the second axis. Written as
 * `exp(x - max) / sum(exp(x - max))` with the max shift carrying no
 * gradient (the result does not depend on it), so the derivative is
 * computed from the input and stays twice differentiable; tfjs's own softmax
 * gradient reads its saved output, which a second derivative treats as a
 * constant.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { normalizeAxis, sizeOf, toTensor, withoutGradient } from "../value.ts";
import * as smooth from "./_smooth.ts";
import { need } from "./_util.ts";
import type { OpEntry } from "./types.ts";

function normalized(x: tf.Tensor, axis: number, log: boolean): tf.Tensor {
  const shift = withoutGradient((t) => tf.max(t, axis, true), [x]);
  const z = tf.sub(x, shift);
  const e = smooth.exp(z);
  const total = tf.sum(e, axis, true);
  return log ? tf.sub(z, tf.log(total)) : tf.div(e, total);
}

function softmaxOp(opType: string, log: boolean): OpEntry {
  return {
    opType,
    translate(node, inputs, ctx) {
      const x = toTensor(need(node, inputs, 0, ctx));
      if (node.opset >= 13) {
        const axis = normalizeAxis(node.attributes.number("axis", -1), x.rank, ctx.where(node));
        return [normalized(x, axis, log)];
      }
      const axis = node.attributes.number("axis", 1);
      const a = axis < 0 ? axis + x.rank : axis;
      if (a < 0 || a > x.rank) {
        throw new RangeError(`${ctx.where(node)}: axis ${axis} is out of range for rank ${x.rank}`);
      }
      const rows = sizeOf(x.shape.slice(0, a));
      const flat = tf.reshape(x, [rows, sizeOf(x.shape.slice(a))]);
      return [tf.reshape(normalized(flat, 1, log), x.shape)];
    },
  };
}

/** The softmax ops. */
export const SOFTMAX_OPS: readonly OpEntry[] = [
  softmaxOp("Softmax", false),
  softmaxOp("LogSoftmax", true),
];
