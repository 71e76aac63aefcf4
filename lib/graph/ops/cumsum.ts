/**
 * `CumSum` along one axis (a host scalar input), with the `exclusive` and
 * `reverse` attributes. Linear: tfjs's gradient is the cumulative sum the
 * other way, itself differentiable.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { normalizeAxis, toTensor } from "../value.ts";
import { need, scalarOf } from "./_util.ts";
import type { OpEntry } from "./types.ts";

/** The cumulative-sum op. */
export const CUMSUM_OPS: readonly OpEntry[] = [
  {
    opType: "CumSum",
    translate(node, inputs, ctx) {
      const x = toTensor(need(node, inputs, 0, ctx));
      const axis = normalizeAxis(
        scalarOf(need(node, inputs, 1, ctx), node, ctx),
        x.rank,
        ctx.where(node),
      );
      const exclusive = node.attributes.number("exclusive", 0) !== 0;
      const reverse = node.attributes.number("reverse", 0) !== 0;
      return [tf.cumsum(x, axis, exclusive, reverse)];
    },
  },
];
