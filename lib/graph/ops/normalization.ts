/**
 * Normalizations: `LayerNormalization` (over axes `axis..rank-1`, optional
 * Mean and InvStdDev outputs) and `BatchNormalization` in inference mode
 * (running statistics, channel axis 1; training mode is refused, see
 * `lib/onnx/training_mode.ts`).
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { normalizeAxis, toTensor } from "../value.ts";
import { need, refuseTrainingMode } from "./_util.ts";
import type { OpEntry } from "./types.ts";

/** The normalization ops. */
export const NORMALIZATION_OPS: readonly OpEntry[] = [
  {
    opType: "LayerNormalization",
    translate(node, inputs, ctx) {
      const x = toTensor(need(node, inputs, 0, ctx));
      const scale = toTensor(need(node, inputs, 1, ctx));
      const bias = inputs[2] === undefined ? undefined : toTensor(inputs[2]);
      const axis = normalizeAxis(node.attributes.number("axis", -1), x.rank, ctx.where(node));
      const eps = node.attributes.number("epsilon", 1e-5);
      const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
      const mean = tf.mean(x, axes, true);
      const centered = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centered), axes, true);
      const invStd = tf.rsqrt(tf.add(variance, eps));
      let y = tf.mul(tf.mul(centered, invStd), scale);
      if (bias) y = tf.add(y, bias);
      return [y, mean, invStd];
    },
  },
  {
    opType: "BatchNormalization",
    limits: "inference mode only",
    check: refuseTrainingMode,
    translate(node, inputs, ctx) {
      const x = toTensor(need(node, inputs, 0, ctx));
      const eps = node.attributes.number("epsilon", 1e-5);
      const shape = x.shape.map((d, i) => (i === 1 ? d : 1));
      const param = (i: number) => tf.reshape(toTensor(need(node, inputs, i, ctx)), shape);
      const [scale, bias, mean, variance] = [param(1), param(2), param(3), param(4)];
      const invStd = tf.rsqrt(tf.add(variance, eps));
      return [tf.add(tf.mul(tf.mul(tf.sub(x, mean), invStd), scale), bias)];
    },
  },
];
