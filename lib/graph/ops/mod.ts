/**
 * The op registry: every supported ONNX op (default domain) and its translator.
 * One module per op family; add an op by adding an entry to its family's table.
 *
 * @module
 */
import { ACTIVATION_OPS } from "./activation.ts";
import { CONSTANT_OPS } from "./constant.ts";
import { CONV_OPS } from "./conv.ts";
import { CUMSUM_OPS } from "./cumsum.ts";
import { EINSUM_OPS } from "./einsum.ts";
import { ELEMENTWISE_OPS } from "./elementwise.ts";
import { GEMM_OPS } from "./gemm.ts";
import { IDENTITY_OPS } from "./identity.ts";
import { LOGICAL_OPS } from "./logical.ts";
import { NORMALIZATION_OPS } from "./normalization.ts";
import { REDUCE_OPS } from "./reduce.ts";
import { SHAPE_OPS } from "./shape.ts";
import { SOFTMAX_OPS } from "./softmax.ts";
import { SPLIT_OPS } from "./split.ts";
import { TILE_OPS } from "./tile.ts";
import { TRIGONOMETRIC_OPS } from "./trigonometric.ts";
import type { OpEntry } from "./types.ts";

export type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";
export { Attributes } from "./types.ts";

/** A family of ops: one module of translators. */
export interface OpFamily {
  /** What the family is, e.g. `"activations"`. */
  readonly family: string;
  readonly ops: readonly OpEntry[];
}

/** The op families, in the order of the README's op table. */
export const OP_FAMILIES: readonly OpFamily[] = [
  { family: "elementwise arithmetic", ops: ELEMENTWISE_OPS },
  { family: "trigonometric and hyperbolic", ops: TRIGONOMETRIC_OPS },
  { family: "activations", ops: ACTIVATION_OPS },
  { family: "softmax", ops: SOFTMAX_OPS },
  { family: "matrix products", ops: GEMM_OPS },
  { family: "Einstein summation", ops: EINSUM_OPS },
  { family: "convolution", ops: CONV_OPS },
  { family: "normalization", ops: NORMALIZATION_OPS },
  { family: "reductions", ops: REDUCE_OPS },
  { family: "cumulative sum", ops: CUMSUM_OPS },
  { family: "shape and indexing", ops: SHAPE_OPS },
  { family: "split", ops: SPLIT_OPS },
  { family: "tile", ops: TILE_OPS },
  { family: "comparison and logic", ops: LOGICAL_OPS },
  { family: "constants", ops: CONSTANT_OPS },
  { family: "pass-through and casts", ops: IDENTITY_OPS },
];

/** Every op translator, by ONNX op type. */
export const OP_REGISTRY: ReadonlyMap<string, OpEntry> = new Map(
  OP_FAMILIES.flatMap((f) => f.ops).map((e) => [e.opType, e]),
);

/** Names of the supported ops, sorted. */
export const SUPPORTED_OPS: readonly string[] = [...OP_REGISTRY.keys()].sort();
