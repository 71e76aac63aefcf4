/**
 * `Tile`: each axis repeated `repeats[i]` times. Tensors are tiled by
 * concatenation (gradient: a sum of slices, at any rank; tfjs's own Tile
 * gradient stops at rank 4), host values by index arithmetic.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import {
  dimsOf,
  hostTake,
  type HostValue,
  isHost,
  stridedOffsets,
  stridesOf,
  type Value,
} from "../value.ts";
import { ints, need } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

function tile(
  node: PlannedNode,
  inputs: readonly (Value | undefined)[],
  ctx: TranslateContext,
): Value[] {
  const x = need(node, inputs, 0, ctx);
  const dims = dimsOf(x);
  const repeats = ints(need(node, inputs, 1, ctx));
  if (repeats.length !== dims.length || repeats.some((r) => r < 0)) {
    throw new RangeError(
      `${ctx.where(node)}: repeats [${repeats.join(", ")}] do not fit rank ${dims.length}`,
    );
  }
  if (isHost(x)) {
    // The output, read as [r0, d0, r1, d1, …], takes stride 0 along every r_i.
    const strides = stridesOf(dims);
    const offsets = stridedOffsets(
      dims.flatMap((d, i) => [repeats[i]!, d]),
      strides.flatMap((s) => [0, s]),
      0,
    );
    return [hostTake(x, dims.map((d, i) => d * repeats[i]!), offsets)];
  }
  let t = x;
  repeats.forEach((r, axis) => {
    if (r !== 1) t = tf.concat(Array.from({ length: r }, () => t), axis);
  });
  return [t];
}

/** The tile op. */
export const TILE_OPS: readonly OpEntry[] = [
  { opType: "Tile", translate: tile, host: (n, i, c) => tile(n, i, c) as HostValue[] },
];
