/**
 * Jacobians `[N, m, n]` of batch functions: reverse-mode autodiff in tfjs
 * (batched, one backward pass per output), the physical-units composition,
 * the chain-rule de-normalization, and batched central finite differences.
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "../tf/backend.ts";
 * import { computeJacobian, finiteDifferenceJacobian } from "./mod.ts";
 * await initTf();
 * // f(x1, x2) = [x1 * x2]: autodiff (float32) and finite differences (float64) agree
 * const f = (x: tf.Tensor2D) => tf.prod(x, 1, true) as tf.Tensor2D;
 * const host = (x: Float64Array, points: number) =>
 *   Float64Array.from({ length: points }, (_, k) => x[2 * k]! * x[2 * k + 1]!);
 * const x = new Float64Array([2, 3, -1, 0.5]);
 * const ad = computeJacobian(f, x, { points: 2, inputWidth: 2 });
 * const fd = await finiteDifferenceJacobian(host, x, { points: 2, inputWidth: 2, outputWidth: 1 });
 * for (let e = 0; e < 4; e++) {
 *   if (Math.abs(ad.values[e]! - fd.values[e]!) > 1e-6) throw new Error("disagreement");
 * }
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./affine.ts";
export * from "./autodiff.ts";
export * from "./chain_rule.ts";
export * from "./finite_differences.ts";
