/**
 * The op registry: every supported ONNX op (default domain) and its translator.
 * One module per op family; add an op by adding an entry to its family's table.
 *
 * @module
 */
import { ACTIVATION_OPS } from "./activation.ts";
import { CONSTANT_OPS } from "./constant.ts";
import { ELEMENTWISE_OPS } from "./elementwise.ts";
import { GEMM_OPS } from "./gemm.ts";
import { IDENTITY_OPS } from "./identity.ts";
import { LOGICAL_OPS } from "./logical.ts";
import { NORMALIZATION_OPS } from "./normalization.ts";
import { REDUCE_OPS } from "./reduce.ts";
import { SHAPE_OPS } from "./shape.ts";
import type { OpEntry } from "./types.ts";

export type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";
export { Attributes } from "./types.ts";

/** Every op translator, by ONNX op type. */
export const OP_REGISTRY: ReadonlyMap<string, OpEntry> = new Map(
  [
    ...ELEMENTWISE_OPS,
    ...GEMM_OPS,
    ...ACTIVATION_OPS,
    ...NORMALIZATION_OPS,
    ...REDUCE_OPS,
    ...SHAPE_OPS,
    ...LOGICAL_OPS,
    ...CONSTANT_OPS,
    ...IDENTITY_OPS,
  ].map((e) => [e.opType, e]),
);

/** Names of the supported ops, sorted. */
export const SUPPORTED_OPS: readonly string[] = [...OP_REGISTRY.keys()].sort();
