import { makeTable } from "../../lib/io/table.ts";
import { minMaxScaler, zScoreScaler } from "../../lib/scaling/scaler.ts";
import { auditData } from "../../lib/verdict/data_audit.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";

// Training data: x in {0, 1, 2, 3, 4}, y = 10 x (mean 20, population std √200).
const data = makeTable(["x", "y"], Float64Array.from([0, 0, 1, 10, 2, 20, 3, 30, 4, 40]));

Deno.test("auditData() compares each row with the data and counts points outside its box", () => {
  const right = auditData(
    data,
    {
      inputs: [minMaxScaler("x", { min: 0, max: 4 })],
      outputs: [minMaxScaler("y", { min: 0, max: 40 })],
    },
    Float64Array.from([0.5, 3.5, 4.5, -1]),
    "d.csv",
  );
  assertEquals(right.finding.holds, false);
  assertEquals(right.outsideShare, 0.5);
  assertEquals(right.outsidePoints, [3, 4]);
  const off = auditData(
    data,
    {
      inputs: [minMaxScaler("x", { min: 0, max: 4.2 })],
      outputs: [zScoreScaler("y", { mean: 20, std: Math.sqrt(200) })],
    },
    Float64Array.from([1]),
    "d.csv",
  );
  assertEquals(off.finding.holds, true);
  assertEquals(off.finding.detail.rows, ["x"]);
  assertAlmostEquals(off.finding.value, 0.2 / 4.2, 1e-12);
  assertEquals(off.columns[1]!.change, 0);
});

Deno.test("auditData() refuses data without an input column, naming it", () => {
  assertThrows(
    () =>
      auditData(
        data,
        { inputs: [minMaxScaler("z", { min: 0, max: 1 })], outputs: [] },
        new Float64Array(0),
        "d.csv",
      ),
    TypeError,
    "Cannot read d.csv: no column for input z",
  );
});
