/**
 * Reductions: ReduceMean, ReduceSum, ReduceMax, ReduceMin. Axes come from the
 * `axes` attribute (ReduceSum before opset 13, the others before 18) or the
 * second input (later opsets); `keepdims` (default 1) and
 * `noop_with_empty_axes` (default 0: empty axes reduce everything) as ONNX.
 * ReduceMax and ReduceMin share the gradient evenly between ties, as
 * PyTorch's `amax`/`amin` do, and are twice differentiable (`_smooth.ts`).
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { normalizeAxis, toTensor, type Value } from "../value.ts";
import * as smooth from "./_smooth.ts";
import { ints, need } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

function reduce(
  opType: string,
  fn: (x: tf.Tensor, axes: number[], keepDims: boolean) => tf.Tensor,
): OpEntry {
  return {
    opType,
    translate(
      node: PlannedNode,
      inputs: readonly (Value | undefined)[],
      ctx: TranslateContext,
    ) {
      const x = toTensor(need(node, inputs, 0, ctx));
      const keep = node.attributes.number("keepdims", 1) !== 0;
      const given = inputs[1] !== undefined ? ints(inputs[1]) : node.attributes.numbers("axes");
      let axes: number[];
      if (given === undefined || given.length === 0) {
        if (node.attributes.number("noop_with_empty_axes", 0) !== 0) return [x];
        axes = x.shape.map((_, i) => i);
      } else {
        axes = given.map((a) => normalizeAxis(a, x.rank, ctx.where(node)));
      }
      return [fn(x, axes, keep)];
    },
  };
}

function extremum(x: tf.Tensor, axes: number[], keep: boolean, takeMax: boolean): tf.Tensor {
  if (x.dtype !== "float32") return takeMax ? tf.max(x, axes, keep) : tf.min(x, axes, keep);
  return smooth.reduceExtremum(x, axes, keep, takeMax);
}

/** The reduction ops. */
export const REDUCE_OPS: readonly OpEntry[] = [
  reduce("ReduceMean", (x, axes, keep) => tf.mean(x, axes, keep)),
  reduce("ReduceSum", (x, axes, keep) => tf.sum(x, axes, keep)),
  reduce("ReduceMax", (x, axes, keep) => extremum(x, axes, keep, true)),
  reduce("ReduceMin", (x, axes, keep) => extremum(x, axes, keep, false)),
];
