/**
 * Helpers shared by the op translators.
 *
 * @module
 */
import type { tf } from "../../tf/backend.ts";
import { trainingModeReason } from "../../onnx/training_mode.ts";
import { UnsupportedNodeError } from "../errors.ts";
import { type HostValue, toHost, toTensor, type Value } from "../value.ts";
import type { PlannedNode, TranslateContext } from "./types.ts";

/** Input `i`, or a TypeError naming the node when it is missing. */
export function need<T extends Value>(
  node: PlannedNode,
  inputs: readonly (T | undefined)[],
  i: number,
  ctx: TranslateContext,
): T {
  const v = inputs[i];
  if (v === undefined) throw new TypeError(`${ctx.where(node)}: input ${i} is missing`);
  return v;
}

/** The build-time error for a node used in a way the rebuild does not support. */
export function refuse(
  node: PlannedNode,
  ctx: TranslateContext,
  reason: string,
): UnsupportedNodeError {
  return new UnsupportedNodeError(node.opType, node.name, ctx.source, reason);
}

/**
 * The `check` of ops with a training mode (`Dropout`, `BatchNormalization`):
 * refuses the node when {@linkcode trainingModeReason} finds one (the same
 * rule model loading applies, for graphs given to the rebuild directly).
 */
export function refuseTrainingMode(
  node: PlannedNode,
  ctx: TranslateContext,
  constant: (i: number) => HostValue | undefined,
): void {
  const reason = trainingModeReason(node, (i) => constant(i)?.data[0]);
  if (reason !== undefined) throw refuse(node, ctx, reason);
}

/** A value read as a list of integers (host values directly; tensors via `dataSync`). */
export function ints(v: Value): number[] {
  const h = toHost(v);
  return Array.from(h.data, (x) => Math.trunc(x));
}

/** A one-element value read as a number. */
export function scalarOf(v: Value, node: PlannedNode, ctx: TranslateContext): number {
  const h: HostValue = toHost(v);
  if (h.data.length !== 1) {
    throw new TypeError(
      `${ctx.where(node)}: expected a single value, got shape [${h.dims.join(", ")}]`,
    );
  }
  return h.data[0]!;
}

/** Converts to a tensor, as float32 when the value is float. */
export function tensorOf(v: Value): tf.Tensor {
  return toTensor(v);
}

/** A one-entry op table helper for unary float ops with a tfjs kernel and a host formula. */
export function unary(
  opType: string,
  tfFn: (x: tf.Tensor) => tf.Tensor,
  hostFn?: (x: number) => number,
) {
  return {
    opType,
    translate(node: PlannedNode, inputs: readonly (Value | undefined)[], ctx: TranslateContext) {
      return [tfFn(toTensor(need(node, inputs, 0, ctx)))];
    },
    ...(hostFn
      ? {
        host(
          node: PlannedNode,
          inputs: readonly (HostValue | undefined)[],
          ctx: TranslateContext,
        ): HostValue[] {
          const x = need(node, inputs, 0, ctx);
          return [{ kind: x.kind, dims: [...x.dims], data: x.data.map(hostFn) }];
        },
      }
      : {}),
  };
}
