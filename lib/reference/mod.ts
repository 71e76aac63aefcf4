/**
 * Analytic references in physical units: equations differentiated
 * symbolically by mathjs, or TypeScript functions with their Jacobian (or
 * float64 Richardson-extrapolated central differences), evaluated in float64
 * over a batch, with domain errors reported per point.
 *
 * @example Usage
 * ```ts
 * import { referenceFromEquations } from "./mod.ts";
 * const ref = referenceFromEquations({ inputs: ["x1", "x2"], outputs: { f1: "sin(x1) * x2" } });
 * const { jacobian } = ref.evaluate(new Float64Array([0, 3]), 1);
 * if (jacobian[0] !== 3 || jacobian[1] !== 0) throw new Error("unexpected Jacobian");
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./equations.ts";
export * from "./finite_differences.ts";
export * from "./module_reference.ts";
export * from "./load.ts";
