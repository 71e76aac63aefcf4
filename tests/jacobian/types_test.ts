import { makeTable } from "../../lib/io/table.ts";
import {
  defaultNames,
  jacobianColumnName,
  jacobiansToTable,
  makeJacobians,
} from "../../lib/jacobian/types.ts";
import { assertEquals, assertThrows } from "../_assert.ts";

Deno.test("jacobianColumnName() follows the user's df1_dx2 naming", () => {
  assertEquals(jacobianColumnName("f1", "x2"), "df1_dx2");
});

Deno.test("jacobiansToTable() writes the input columns, then the entries output-major", () => {
  const x = makeTable(["x1", "x2"], new Float64Array([1, 2, 3, 4]));
  // Point k, output i, input j holds 100k + 10i + j.
  const values = new Float64Array(2 * 3 * 2);
  for (let k = 0; k < 2; k++) {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) values[(k * 3 + i) * 2 + j] = 100 * k + 10 * i + j;
    }
  }
  const jac = makeJacobians(values, {
    points: 2,
    outputs: defaultNames("f", 3),
    inputs: ["x1", "x2"],
  });
  const t = jacobiansToTable(x, jac);
  assertEquals(t.columns, [
    "x1",
    "x2",
    "df1_dx1",
    "df1_dx2",
    "df2_dx1",
    "df2_dx2",
    "df3_dx1",
    "df3_dx2",
  ]);
  assertEquals([...t.data], [1, 2, 0, 1, 10, 11, 20, 21, 3, 4, 100, 101, 110, 111, 120, 121]);
});

Deno.test("makeJacobians() and jacobiansToTable() refuse mismatched sizes", () => {
  assertThrows(
    () => makeJacobians(new Float64Array(5), { points: 1, outputs: ["f"], inputs: ["a", "b"] }),
    TypeError,
    "5 values do not fill [1, 1, 2]",
  );
  const jac = makeJacobians(new Float64Array(2), { points: 1, outputs: ["f"], inputs: ["a", "b"] });
  assertThrows(
    () => jacobiansToTable(makeTable(["a", "b"], new Float64Array(4)), jac),
    TypeError,
    "1 points beside 2 input rows",
  );
});
