/**
 * The tangent rules, by ONNX op type (default domain).
 *
 * @module
 */
import type { TangentRule } from "../_rule.ts";
import { ELEMENTWISE_RULES } from "./elementwise.ts";
import { LINEAR_RULES } from "./linear.ts";
import { REDUCE_RULES } from "./reduce.ts";
import { SHAPE_RULES } from "./shape.ts";

/** Every tangent rule, by op type. */
export const TANGENT_RULES: ReadonlyMap<string, TangentRule> = new Map([
  ...ELEMENTWISE_RULES,
  ...LINEAR_RULES,
  ...REDUCE_RULES,
  ...SHAPE_RULES,
]);

/** Op types the derivative graph supports, sorted. */
export const DIFFERENTIABLE_OPS: readonly string[] = [...TANGENT_RULES.keys()].sort();
