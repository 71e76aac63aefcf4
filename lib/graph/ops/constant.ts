/**
 * Constants: `Constant` (`value`, `value_float`, `value_floats`, `value_int`,
 * `value_ints`) and `ConstantOfShape` (`value`, default float 0). Both produce
 * host values, folded once at build time.
 *
 * @module
 */
import type { HostValue } from "../value.ts";
import { ints, need } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

const CONSTANT_FORMS = ["value", "value_float", "value_floats", "value_int", "value_ints"];

function constant(node: PlannedNode, ctx: TranslateContext): HostValue[] {
  const at = node.attributes;
  const t = at.tensor("value");
  if (t) return [t];
  if (at.has("value_float")) {
    return [{ kind: "float", dims: [], data: Float64Array.of(at.number("value_float", 0)) }];
  }
  if (at.has("value_int")) {
    return [{ kind: "int", dims: [], data: Float64Array.of(at.number("value_int", 0)) }];
  }
  const floats = at.numbers("value_floats");
  if (floats) return [{ kind: "float", dims: [floats.length], data: Float64Array.from(floats) }];
  const intList = at.numbers("value_ints");
  if (intList) return [{ kind: "int", dims: [intList.length], data: Float64Array.from(intList) }];
  throw new TypeError(
    `${ctx.where(node)}: none of the supported forms ${CONSTANT_FORMS.join(", ")}`,
  );
}

function constantOfShape(
  node: PlannedNode,
  inputs: readonly unknown[],
  ctx: TranslateContext,
): HostValue[] {
  const dims = ints(need(node, inputs as never, 0, ctx));
  const fill = node.attributes.tensor("value") ??
    { kind: "float", dims: [1], data: Float64Array.of(0) };
  if (fill.data.length !== 1) {
    throw new TypeError(`${ctx.where(node)}: value must hold one element`);
  }
  let n = 1;
  for (const d of dims) n *= d;
  return [{ kind: fill.kind, dims, data: new Float64Array(n).fill(fill.data[0]!) }];
}

/** The constant ops. */
export const CONSTANT_OPS: readonly OpEntry[] = [
  {
    opType: "Constant",
    limits: "the value, value_float(s) and value_int(s) forms",
    check(node, ctx) {
      const names = node.attributes.names();
      if (!names.some((n) => CONSTANT_FORMS.includes(n))) {
        throw new TypeError(
          `${ctx.where(node)}: attribute ${
            names.join(", ") || "(none)"
          } is not supported; use one of ${CONSTANT_FORMS.join(", ")}`,
        );
      }
    },
    translate: (node, _inputs, ctx) => constant(node, ctx),
    host: (node, _inputs, ctx) => constant(node, ctx),
  },
  { opType: "ConstantOfShape", translate: constantOfShape, host: constantOfShape },
];
