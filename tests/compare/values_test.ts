import { compareValues, valueComparisonToJson } from "../../lib/compare/values.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";

/** The expected numbers are exact rationals; float64 arithmetic leaves a few ulps. */
const EXACT_TOL: Record<"float64", number> = { float64: 1e-15 };

Deno.test("compareValues() reports max abs, RMSE, range-normalized error and R² per output", () => {
  // 4 points, outputs f1 (varies 0..6), f2 (constant 10).
  const ref = new Float64Array([0, 10, 2, 10, 4, 10, 6, 10]);
  const calc = new Float64Array([0.5, 10, 2, 10, 4, 10.25, 5.5, 10]);
  const cmp = compareValues(calc, ref, { points: 4, names: ["f1", "f2"] });
  const [f1, f2] = cmp.outputs as [typeof cmp.outputs[0], typeof cmp.outputs[0]];
  assertEquals([f1.name, f1.maxAbsError, f1.refRange], ["f1", 0.5, 6]);
  assertAlmostEquals(f1.rmse, Math.sqrt(0.5 / 4), EXACT_TOL.float64);
  assertAlmostEquals(f1.rangeNormalizedError, 0.5 / 6, EXACT_TOL.float64);
  // mean 3, SS_tot = 9 + 1 + 1 + 9 = 20, SS_res = 0.5
  assertAlmostEquals(f1.r2, 1 - 0.5 / 20, EXACT_TOL.float64);
  // Constant reference: the scale is floored at 1e-3 × 10, R² is undefined.
  assertEquals([f2.maxAbsError, f2.refRange], [0.25, 0]);
  assertAlmostEquals(f2.rangeNormalizedError, 0.25 / (1e-3 * 10), EXACT_TOL.float64);
  assertEquals(Number.isNaN(f2.r2), true);
  assertEquals(cmp.worstRangeNormalized.name, "f2");
  assertEquals((valueComparisonToJson(cmp).outputs as { r2: unknown }[])[1]!.r2, null);
});

Deno.test("compareValues() refuses mismatched sizes", () => {
  assertThrows(
    () => compareValues(new Float64Array(5), new Float64Array(6), { points: 3, names: ["a", "b"] }),
    TypeError,
    "the computed values have length 5, expected [3, 2]",
  );
  assertThrows(
    () => compareValues(new Float64Array(0), new Float64Array(0), { points: 0, names: ["a"] }),
    RangeError,
    "0 points and 1 outputs",
  );
});
