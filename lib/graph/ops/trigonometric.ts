/**
 * Trigonometric and hyperbolic functions: Sin, Cos, Tan, Asin, Acos, Atan,
 * Sinh, Cosh. tfjs computes each derivative from the op's input (`cos x`,
 * `1 / cos² x`, `±1 / √(1 − x²)`, `1 / (1 + x²)`, `cosh x`, `sinh x`), never
 * from its saved output, so all are twice differentiable. Host values (folded
 * constants) are computed in float64.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { unary } from "./_util.ts";
import type { OpEntry } from "./types.ts";

/** The trigonometric and hyperbolic ops. */
export const TRIGONOMETRIC_OPS: readonly OpEntry[] = [
  unary("Sin", tf.sin, Math.sin),
  unary("Cos", tf.cos, Math.cos),
  unary("Tan", tf.tan, Math.tan),
  unary("Asin", tf.asin, Math.asin),
  unary("Acos", tf.acos, Math.acos),
  unary("Atan", tf.atan, Math.atan),
  unary("Sinh", tf.sinh, Math.sinh),
  unary("Cosh", tf.cosh, Math.cosh),
];
