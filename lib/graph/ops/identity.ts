/**
 * Pass-through and type ops: `Identity`, `Dropout` (inference: identity, the
 * optional mask output all true; training mode refused at build time) and `Cast` (float/double -> float32 tensor,
 * integer types -> int32, bool). Casts to int or bool carry no gradient;
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
import { need, refuse } from "./_util.ts";
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

/**
 * Refuses training-mode Dropout at build time: before opset 7 when `is_test`
 * is 0 (its default), from opset 12 when `training_mode` is true (unless the
 * ratio is a constant 0) or not a constant.
 */
function checkDropout(
  node: PlannedNode,
  ctx: TranslateContext,
  constant: (i: number) => HostValue | undefined,
): void {
  const advice =
    "export the model in inference mode (model.eval(), the default of torch.onnx.export)";
  if (node.opset < 7 && node.attributes.number("is_test", 0) === 0) {
    throw refuse(
      node,
      ctx,
      `is_test is 0 (training mode: random dropout) is not supported; ${advice}`,
    );
  }
  if ((node.inputs[2] ?? "") === "") return;
  const training = constant(2);
  if (training === undefined) {
    throw refuse(node, ctx, `training_mode is not a constant, so it may be true; ${advice}`);
  }
  if (training.data[0] === 0) return;
  const ratio = (node.inputs[1] ?? "") === "" ? 0.5 : constant(1)?.data[0];
  if (ratio !== 0) {
    throw refuse(
      node,
      ctx,
      `training_mode is true (random dropout${
        ratio === undefined ? "" : ` with ratio ${ratio}`
      }) is not supported; ${advice}`,
    );
  }
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
    check: checkDropout,
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
