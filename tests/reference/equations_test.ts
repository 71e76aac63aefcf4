import {
  assertAlmostEquals,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";
import { loadReference, referenceFromEquations } from "../../lib/reference/mod.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import { handJacobian, handValues, POINTS } from "../_seed_equations.ts";

/** float64 symbolic vs hand-derived: a few ulps, relative to max(1, |value|). */
const FLOAT64_RELATIVE = 1e-12;
const SEED = new URL("../../data/seed/", import.meta.url).pathname;

function close(actual: number, expected: number, tol: number, what: string): void {
  assertAlmostEquals(actual, expected, tol * Math.max(1, Math.abs(expected)), what);
}

Deno.test("referenceFromEquations() gives the hand-derived Jacobian of the seed equations to 1e-12", async () => {
  const ref = await loadReference(`${SEED}equations.json`);
  assertEquals(ref.exact, true);
  assertEquals(ref.inputs, ["x1", "x2", "x3", "x4"]);
  assertEquals(ref.outputs, ["f1", "f2", "f3", "f4"]);
  const N = POINTS.length / 4;
  const { values, jacobian, invalid } = ref.evaluate(POINTS, N);
  assertEquals(invalid, []);
  for (let k = 0; k < N; k++) {
    const x = POINTS.subarray(4 * k, 4 * k + 4);
    const v = handValues(x), J = handJacobian(x);
    for (let i = 0; i < 4; i++) {
      close(values[k * 4 + i]!, v[i]!, FLOAT64_RELATIVE, `f${i + 1} at point ${k}`);
      for (let j = 0; j < 4; j++) {
        close(
          jacobian[(k * 4 + i) * 4 + j]!,
          J[i * 4 + j]!,
          FLOAT64_RELATIVE,
          `df${i + 1}/dx${j + 1} at point ${k}`,
        );
      }
    }
  }
});

Deno.test("referenceFromEquations() reproduces the f columns of the seed olhs_samples.csv", async () => {
  const ref = await loadReference(`${SEED}equations.json`);
  const table = await readNumericCsv(`${SEED}olhs_samples.csv`);
  assertEquals(table.columns, ["x1", "x2", "x3", "x4", "f1", "f2", "f3", "f4"]);
  const rows = 200; // a prefix keeps the test fast; the file has 3000
  const x = new Float64Array(rows * 4);
  for (let r = 0; r < rows; r++) x.set(table.data.subarray(r * 8, r * 8 + 4), r * 4);
  const { values } = ref.evaluate(x, rows);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < 4; i++) {
      close(values[r * 4 + i]!, table.data[r * 8 + 4 + i]!, FLOAT64_RELATIVE, `row ${r} f${i + 1}`);
    }
  }
});

Deno.test("referenceFromEquations() reports a complex x3^(7/2) at x3 < 0 per row, NaN there", () => {
  const ref = referenceFromEquations({
    inputs: ["x1", "x2", "x3", "x4"],
    outputs: {
      f1: "0.4*x1^2 + 0.2*x2^2 + 0.1*x3^(7/2) + 0.3*x4^(3/2)",
      f2: "3*x1 + 4*x2 + 5*x3 + 6*x4 + sin(x1)*cos(x2)",
    },
  });
  const x = new Float64Array([1, 1, 1, 1, 1, 1, -1, 1, 2, 2, 2, 2]);
  const r = ref.evaluate(x, 3);
  assertEquals(r.invalid.length, 1);
  assertEquals(r.invalid[0]!.row, 1);
  assertEquals(r.invalid[0]!.output, "f1");
  assertStringIncludes(r.invalid[0]!.reason, "f1 is complex");
  assertEquals(Number.isNaN(r.values[1 * 2 + 0]!), true);
  assertEquals(Array.from(r.jacobian.subarray(8, 12)).every(Number.isNaN), true);
  // f2 at the same row and f1 at the other rows are untouched.
  close(r.values[1 * 2 + 1]!, 3 + 4 - 5 + 6 + Math.sin(1) * Math.cos(1), FLOAT64_RELATIVE, "f2");
  close(r.values[0]!, 0.4 + 0.2 + 0.1 + 0.3, FLOAT64_RELATIVE, "f1 row 0");
  close(r.jacobian[(2 * 2 + 0) * 4 + 2]!, 0.35 * 2 ** 2.5, FLOAT64_RELATIVE, "df1/dx3 row 2");
});

Deno.test("referenceFromEquations() reports an infinite derivative (sqrt at 0) per row", () => {
  const ref = referenceFromEquations({ inputs: ["x"], outputs: { g: "sqrt(x)" } });
  const r = ref.evaluate(new Float64Array([4, 0]), 2);
  assertEquals(r.invalid, [{ row: 1, output: "g", reason: "dg/dx is not finite (Infinity)" }]);
  assertEquals(r.values[0], 2);
  assertAlmostEquals(r.jacobian[0]!, 0.25, FLOAT64_RELATIVE);
});

Deno.test("referenceFromEquations() refuses bad equations, naming the output and the variable", async (t) => {
  const inputs = ["x1", "x2"];
  await t.step("unknown variable", () => {
    assertThrows(
      () => referenceFromEquations({ inputs, outputs: { f1: "x1 + x5" } }, "eq.json"),
      SyntaxError,
      `Cannot read eq.json: output "f1" uses "x5", which is not an input (x1, x2)`,
    );
  });
  await t.step("unparseable expression", () => {
    assertThrows(
      () => referenceFromEquations({ inputs, outputs: { f1: "x1", f2: "0.4*x1^" } }, "eq.json"),
      SyntaxError,
      `Cannot read eq.json: output "f2": cannot parse "0.4*x1^"`,
    );
  });
  await t.step("unknown function", () => {
    assertThrows(
      () => referenceFromEquations({ inputs, outputs: { f1: "foo(x1)" } }, "eq.json"),
      SyntaxError,
      `output "f1" calls "foo", which is not an elementary function`,
    );
  });
  await t.step("missing fields", () => {
    assertThrows(
      () => referenceFromEquations({ inputs } as never, "eq.json"),
      SyntaxError,
      `Cannot read eq.json: "outputs" must be an object`,
    );
    assertThrows(
      () => referenceFromEquations({ outputs: { f1: "1" } } as never, "eq.json"),
      SyntaxError,
      `"inputs" must be a non-empty list`,
    );
    assertThrows(
      () => referenceFromEquations({ inputs, outputs: { f1: 3 } } as never, "eq.json"),
      SyntaxError,
      `output "f1" has no expression`,
    );
  });
  await t.step("constants are allowed", () => {
    const ref = referenceFromEquations({ inputs: ["x"], outputs: { f: "pi * x + e" } });
    close(
      ref.evaluate(new Float64Array([2]), 1).values[0]!,
      2 * Math.PI + Math.E,
      FLOAT64_RELATIVE,
      "f",
    );
  });
  await t.step("wrong batch size", () => {
    const ref = referenceFromEquations({ inputs, outputs: { f1: "x1" } });
    assertThrows(
      () => ref.evaluate(new Float64Array(3), 2),
      TypeError,
      "3 values are not 2 points of 2 inputs",
    );
  });
});
