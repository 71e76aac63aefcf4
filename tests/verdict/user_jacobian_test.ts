import { parseNumericCsv } from "../../lib/io/table.ts";
import type { Jacobians } from "../../lib/jacobian/types.ts";
import { minMaxScaler, type Scaling } from "../../lib/scaling/scaler.ts";
import {
  auditUserJacobian,
  readUserJacobian,
  type UserJacobian,
} from "../../lib/verdict/user_jacobian.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";

// Two inputs with ranges 2 and 5, two outputs with ranges 10 and 0.5.
const rx = [2, 5];
const ry = [10, 0.5];
const scaling: Scaling = {
  inputs: [minMaxScaler("a", { min: 0, max: 2 }), minMaxScaler("b", { min: 1, max: 6 })],
  outputs: [minMaxScaler("f", { min: -5, max: 5 }), minMaxScaler("g", { min: 0, max: 0.5 })],
};
const names = { points: 3, outputs: ["f", "g"], inputs: ["a", "b"] };
/** The model's normalized Jacobian at 3 points, `[3, 2, 2]`. */
const jn = [[[0.3, -1.2], [2.0, 0.7]], [[1.1, 0.4], [-0.5, 1.9]], [[-0.8, 0.6], [0.25, -1.4]]];
/** The right formula, written out: ∂f_i/∂x_j = ĵ_ij · range(f_i) / range(x_j). */
const model: Jacobians = {
  ...names,
  values: Float64Array.from(
    jn.flatMap((p) => p.flatMap((row, i) => row.map((v, j) => v * ry[i]! / rx[j]!))),
  ),
};
const user = (f: (p: number[][], i: number, j: number) => number): UserJacobian => ({
  source: "mine.csv",
  x: new Float64Array(6),
  jacobian: {
    ...names,
    values: Float64Array.from(
      jn.flatMap((p) => p.flatMap((row, i) => row.map((_, j) => f(p, i, j)))),
    ),
  },
});

Deno.test("auditUserJacobian() names the de-normalization the user applied", async (t) => {
  const cases: [string, (p: number[][], i: number, j: number) => number][] = [
    ["correct", (p, i, j) => p[i]![j]! * ry[i]! / rx[j]!],
    ["inverse", (p, i, j) => p[i]![j]! * rx[j]! / ry[i]!],
    ["normalized", (p, i, j) => p[i]![j]!],
    ["output-only", (p, i, j) => p[i]![j]! * ry[i]!],
    ["input-only", (p, i, j) => p[i]![j]! / rx[j]!],
    ["transposed", (p, i, j) => p[j]![i]! * ry[j]! / rx[i]!],
    ["factor", (p, i, j) => 0.25 * p[i]![j]! * ry[i]! / rx[j]!],
    ["none", (p, i, j) => p[i]![j]! * ry[i]! / rx[j]! + (i === 1 && j === 0 ? 0.3 : 0)],
  ];
  for (const [hypothesis, f] of cases) {
    await t.step(hypothesis, () => {
      const a = auditUserJacobian(user(f), model, scaling);
      assertEquals(a.hypothesis, hypothesis);
      assertEquals(a.finding.holds, hypothesis !== "correct");
      if (hypothesis === "factor") assertAlmostEquals(a.factor, 0.25, 1e-12);
    });
  }
});

Deno.test("readUserJacobian() reads the report's layout in any column order, _true optional", () => {
  const text = "a,b,df_da,df_da_true,df_db,df_db_true,dg_da,dg_da_true,dg_db,dg_db_true\n" +
    "1,2,11,21,12,22,13,23,14,24\n";
  const u = readUserJacobian(parseNumericCsv(text, "u.csv"), ["a", "b"], ["f", "g"], "u.csv");
  assertEquals([...u.jacobian.values], [11, 12, 13, 14]);
  assertEquals([...u.reference!.values], [21, 22, 23, 24]);
  assertEquals([...u.x], [1, 2]);
  const noTrue = readUserJacobian(
    parseNumericCsv("dg_db,df_da,b,a,df_db,dg_da\n4,1,2,0,2,3\n", "v.csv"),
    ["a", "b"],
    ["f", "g"],
    "v.csv",
  );
  assertEquals([...noTrue.jacobian.values], [1, 2, 3, 4]);
  assertEquals(noTrue.reference, undefined);
  assertThrows(
    () =>
      readUserJacobian(
        parseNumericCsv("a,b,df_da\n1,2,3\n", "w.csv"),
        ["a", "b"],
        ["f", "g"],
        "w.csv",
      ),
    TypeError,
    "Cannot read w.csv: no Jacobian column df_db",
  );
  assertThrows(
    () =>
      readUserJacobian(
        parseNumericCsv("a,b,df_da,df_db,dg_da,dg_db,df_da_true\n1,2,3,4,5,6,7\n", "x.csv"),
        ["a", "b"],
        ["f", "g"],
        "x.csv",
      ),
    TypeError,
    "no reference column df_db_true",
  );
});
