/**
 * Design of experiments: seeded, maximin-optimized Latin hypercube samples in
 * a box read from a `Variable,Min,Max` CSV.
 *
 * @example Usage
 * ```ts
 * import { latinHypercube, makeBounds } from "./mod.ts";
 * const samples = latinHypercube(makeBounds(["x1", "x2"], { min: [0, 0], max: [1, 1] }), 10);
 * if (samples.rows !== 10) throw new Error("expected 10 points");
 * ```
 *
 * @module
 */
export * from "./bounds.ts";
export * from "./latin_hypercube.ts";
export * from "./prng.ts";
