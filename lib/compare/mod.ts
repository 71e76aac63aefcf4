/**
 * Comparing Jacobians and forward outputs with references: per-entry errors
 * judged against each entry's scale over the data (range-normalized), per-row
 * errors, guarded relative errors, R², allclose pass/fail, and a plain-text table.
 *
 * @example Usage
 * ```ts
 * import { compareJacobians, formatComparisonTable } from "./mod.ts";
 * const ref = { points: 3, outputs: ["f1"], inputs: ["x1", "x2"], values: new Float64Array([1, 5, 2, 5, 3, 5]) };
 * const calc = { ...ref, values: ref.values.map((v, e) => e === 4 ? v + 0.5 : v) };
 * const cmp = compareJacobians(calc, ref);
 * if (cmp.allPass || cmp.worstRangeNormalized.label !== "df1/dx1") throw new Error("unexpected");
 * const table = formatComparisonTable(cmp); // one line per entry, then a summary
 * if (table.split("\n").length !== 4) throw new Error("unexpected table");
 * ```
 *
 * @module
 */
export * from "./jacobians.ts";
export * from "./values.ts";
