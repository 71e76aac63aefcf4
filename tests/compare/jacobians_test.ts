import {
  compareJacobians,
  comparisonToJson,
  formatComparisonTable,
} from "../../lib/compare/jacobians.ts";
import { makeJacobians } from "../../lib/jacobian/types.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";

/** The expected numbers are exact rationals; float64 division leaves a few ulps. */
const EXACT_TOL: Record<"float64", number> = { float64: 1e-15 };

// N = 4 points, outputs f1, f2, inputs x1, x2. Binary fractions keep the errors exact.
//   df1/dx1 varies (1..4), small errors           -> passes
//   df1/dx2 constant 8, one error of 1/256        -> passes through rtol; range floored
//   df2/dx1 crosses zero, error 1/1024 at -1/1024 -> relative error large, passes through atol
//   df2/dx2 is twice the reference                -> fails at every point
const REF = {
  "df1/dx1": [1, 2, 3, 4],
  "df1/dx2": [8, 8, 8, 8],
  "df2/dx1": [-2, -(2 ** -10), 2 ** -9, 2],
  "df2/dx2": [1, 2, 3, 4],
};
const CALC = {
  "df1/dx1": [1, 2 + 2 ** -10, 3, 4 - 2 ** -9],
  "df1/dx2": [8, 8, 8 + 2 ** -8, 8],
  "df2/dx1": [-2, 0, 2 ** -9, 2],
  "df2/dx2": [2, 4, 6, 8],
};
function pack(entries: Record<string, number[]>) {
  const order = ["df1/dx1", "df1/dx2", "df2/dx1", "df2/dx2"];
  const values = new Float64Array(16);
  for (let k = 0; k < 4; k++) order.forEach((e, idx) => (values[k * 4 + idx] = entries[e]![k]!));
  return makeJacobians(values, { points: 4, outputs: ["f1", "f2"], inputs: ["x1", "x2"] });
}

Deno.test("compareJacobians() gives the exact expected numbers on constructed entries", async (t) => {
  const cmp = compareJacobians(pack(CALC), pack(REF), {
    rtol: 1e-3,
    atol: 1e-3,
    floorFraction: 1e-3,
  });
  const entry = (label: string) => cmp.entries.find((e) => e.label === label)!;
  assertEquals(cmp.entries.map((e) => e.label), ["df1/dx1", "df1/dx2", "df2/dx1", "df2/dx2"]);
  const tol = EXACT_TOL.float64;

  await t.step("varying entry (row scale 8)", () => {
    const e = entry("df1/dx1");
    assertEquals(e.maxAbsError, 2 ** -9);
    assertEquals(e.refRange, 3);
    assertEquals(e.scale, 3);
    assertAlmostEquals(e.rangeNormalizedError, 2 ** -9 / 3, tol);
    assertEquals(e.rowNormalizedError, 2 ** -9 / 8);
    assertEquals(e.relativeError, 2 ** -11);
    // R² = 1 - (2^-20 + 2^-18) / 5
    assertAlmostEquals(e.r2, 1 - 2 ** -20, tol);
    assertEquals(e.pass, true);
    assertEquals(e.worst.map((w) => w.point), [3, 1, 0]);
    assertEquals(e.worst[0], { point: 3, calc: 4 - 2 ** -9, ref: 4, absError: 2 ** -9 });
  });

  await t.step("constant entry: the scale is floored at floorFraction × row scale", () => {
    const e = entry("df1/dx2");
    assertEquals(e.refRange, 0);
    assertEquals(e.scale, 1e-3 * 8);
    assertAlmostEquals(e.rangeNormalizedError, 2 ** -8 / 8e-3, tol);
    assertEquals(e.relativeError, 2 ** -11);
    assertEquals(Number.isNaN(e.r2), true);
    assertEquals(e.pass, true); // 2^-8 ≤ 1e-3 × 8e-3 + 1e-3 × 8
  });

  await t.step("entry crossing zero: guarded relative error, passes on atol", () => {
    const e = entry("df2/dx1");
    assertEquals(e.maxAbsError, 2 ** -10);
    assertEquals(e.scale, 4); // range 2 - (-2); row scale 4 (from df2/dx2)
    assertEquals(e.rangeNormalizedError, 2 ** -12);
    // |ref| = 2^-10 is below the guard 1e-3 × 4: relative error = 2^-10 / 4e-3, not 1
    assertAlmostEquals(e.relativeError, 2 ** -10 / 4e-3, tol);
    assertEquals(e.pass, true); // 2^-10 ≤ 1e-3 × 4
  });

  await t.step("wrong entry fails at every point while the others pass", () => {
    const e = entry("df2/dx2");
    assertEquals(e.maxAbsError, 4);
    assertAlmostEquals(e.rangeNormalizedError, 4 / 3, tol);
    assertEquals(e.rowNormalizedError, 1);
    assertEquals(e.relativeError, 1);
    assertAlmostEquals(e.r2, 1 - 30 / 5, tol);
    assertEquals([e.pass, e.failures], [false, 4]);
    assertEquals(e.worst.map((w) => w.point), [3, 2, 1]);
  });

  await t.step("per output and summary", () => {
    assertEquals(cmp.perOutput.map((o) => [o.output, o.rowScale, o.pass]), [["f1", 8, true], [
      "f2",
      4,
      false,
    ]]);
    assertEquals(cmp.perOutput[0]!.rowNormalizedError, 2 ** -8 / 8);
    assertEquals(cmp.perOutput[1]!.rowNormalizedError, 1);
    assertEquals(cmp.worstRangeNormalized.label, "df2/dx2");
    assertAlmostEquals(cmp.worstRangeNormalized.value, 4 / 3, tol);
    assertEquals(cmp.worstRowNormalized, { output: "f2", value: 1 });
    assertEquals(cmp.allPass, false);
  });
});

Deno.test("compareJacobians() fails an entry holding NaN", () => {
  const calc = pack({ ...REF, "df1/dx1": [1, NaN, 3, 4] });
  const cmp = compareJacobians(calc, pack(REF));
  const e = cmp.entries[0]!;
  assertEquals([e.pass, e.failures, e.worst[0]!.point], [false, 1, 1]);
  assertEquals(Number.isNaN(e.maxAbsError), true);
  assertEquals(cmp.worstRangeNormalized.label, "df1/dx1");
  assertEquals(cmp.entries.slice(1).every((x) => x.pass), true);
});

Deno.test("compareJacobians() tightening atol makes the zero-crossing entry fail", () => {
  const cmp = compareJacobians(pack(CALC), pack(REF), { rtol: 1e-3, atol: 1e-4 });
  assertEquals(cmp.entries[2]!.pass, false); // 2^-10 > 1e-4 × 4 + 1e-3 × 2^-10
  assertEquals(cmp.entries[0]!.pass, true);
});

Deno.test("compareJacobians() refuses mismatched Jacobians", () => {
  const other = makeJacobians(new Float64Array(8), {
    points: 2,
    outputs: ["f1", "f2"],
    inputs: ["x1", "x2"],
  });
  assertThrows(
    () => compareJacobians(other, pack(REF)),
    TypeError,
    "shape [2, 2, 2] against reference [4, 2, 2]",
  );
  const renamed = { ...pack(REF), outputs: ["y1", "y2"] };
  assertThrows(
    () => compareJacobians(renamed, pack(REF)),
    RangeError,
    'output 1 is "y1" but "f1" in the reference',
  );
  assertThrows(() => compareJacobians(pack(REF), pack(REF), { rtol: -1 }), RangeError, "rtol -1");
});

Deno.test("formatComparisonTable() prints one aligned line per entry and a summary", () => {
  const text = formatComparisonTable(compareJacobians(pack(CALC), pack(REF)));
  const lines = text.split("\n");
  assertEquals(lines.length, 6);
  assertEquals(lines[0], "entry    max abs  range-norm  row-norm      rel         R²  pass");
  assertEquals(lines[1], "df1/dx1  1.95e-3     6.51e-4   2.44e-4  4.88e-4   0.999999  yes");
  assertEquals(lines[2], "df1/dx2  3.91e-3     4.88e-1   4.88e-4  4.88e-4        n/a  yes");
  assertEquals(lines[3], "df2/dx1  9.77e-4     2.44e-4   2.44e-4  2.44e-1   1.000000  yes");
  assertEquals(lines[4], "df2/dx2  4.00e+0     1.33e+0   1.00e+0  1.00e+0  -5.000000  FAIL (4/4)");
  assertEquals(
    lines[5],
    "worst range-normalized 1.33e+0 (df2/dx2), worst row-normalized 1.00e+0 (f2), 3 of 4 entries pass (rtol 0.001, atol 0.001 × entry scale)",
  );
});

Deno.test("comparisonToJson() round-trips through JSON with null for undefined R²", () => {
  const json = JSON.parse(
    JSON.stringify(comparisonToJson(compareJacobians(pack(CALC), pack(REF)))),
  );
  assertEquals(json.entries[1].r2, null);
  assertEquals(json.entries[3].failures, 4);
  assertEquals(json.allPass, false);
});
