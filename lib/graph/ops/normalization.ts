/**
 * Normalizations: `LayerNormalization` (over axes `axis..rank-1`, optional
 * Mean and InvStdDev outputs) and `BatchNormalization` in inference mode
 * (running statistics, channel axis 1; training mode is refused at build
 * time).
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { normalizeAxis, toTensor } from "../value.ts";
import { need, refuse } from "./_util.ts";
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
    check(node, ctx) {
      const advice = "export the model in inference mode (model.eval())";
      if (node.attributes.number("training_mode", 0) !== 0) {
        throw refuse(
          node,
          ctx,
          `training_mode=1 (batch statistics) is not supported; ${advice}`,
        );
      }
      if (node.opset < 7 && node.attributes.number("is_test", 0) === 0) {
        throw refuse(node, ctx, `is_test is 0 (training mode) is not supported; ${advice}`);
      }
      if (node.outputs.slice(1).some((o) => o !== "")) {
        throw refuse(
          node,
          ctx,
          `outputs running statistics (training mode), which is not supported; ${advice}`,
        );
      }
    },
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
