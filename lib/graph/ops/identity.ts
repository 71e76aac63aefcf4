/**
 * Pass-through and type ops: `Identity`, `Dropout` (inference: identity, the
 * optional mask output all true; training mode refused, see `lib/onnx/training_mode.ts`)
 * and `Cast` (float/double -> float32 tensor, integer types -> int32, bool). Casts to int or bool carry no gradient;
 * a cast from float to float is the identity.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import {
  dimsOf,
  type ElementKind,
  type HostValue,
  kindOf,
  kindOfDataType,
  sizeOf,
  toTensor,
  type Value,
  withoutGradient,
} from "../value.ts";
import { need, refuseTrainingMode } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

function castHost(x: HostValue, to: ElementKind): HostValue {
  if (x.kind === to) return x;
  const fn = to === "bool"
    ? (v: number) => (v !== 0 ? 1 : 0)
    : to === "int"
    ? Math.trunc
    : (v: number) => v;
  return { kind: to, dims: x.dims, data: x.data.map(fn) };
}

function castTensor(x: tf.Tensor, to: ElementKind): tf.Tensor {
  if (kindOf(x) === to) return x;
  if (to === "float") return tf.cast(x, "float32");
  if (to === "int") return withoutGradient((t) => tf.cast(t, "int32"), [x]);
  return withoutGradient((t) => tf.notEqual(t, tf.zerosLike(t)), [x]);
}

/** Inference (or ratio 0): the identity, and a mask of all true. */
function dropout(
  node: PlannedNode,
  inputs: readonly (Value | undefined)[],
  ctx: TranslateContext,
): Value[] {
  const x = need(node, inputs, 0, ctx);
  const dims = dimsOf(x);
  const mask: HostValue = { kind: "bool", dims, data: new Float64Array(sizeOf(dims)).fill(1) };
  return [x, mask];
}

/** The pass-through and cast ops. */
export const IDENTITY_OPS: readonly OpEntry[] = [
  {
    opType: "Identity",
    translate: (node, inputs, ctx) => [need(node, inputs, 0, ctx)],
    host: (node, inputs, ctx) => [need(node, inputs, 0, ctx)],
  },
  {
    opType: "Dropout",
    limits: "inference mode only",
    check: refuseTrainingMode,
    translate: dropout,
    host: (n, i, c) => dropout(n, i, c) as HostValue[],
  },
  {
    opType: "Cast",
    translate(node, inputs, ctx) {
      const to = kindOfDataType(node.attributes.number("to", 1));
      return [castTensor(toTensor(need(node, inputs, 0, ctx)), to)];
    },
    host(node, inputs, ctx) {
      return [
        castHost(need(node, inputs, 0, ctx), kindOfDataType(node.attributes.number("to", 1))),
      ];
    },
  },
];
