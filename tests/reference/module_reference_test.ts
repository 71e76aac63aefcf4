import {
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";
import { loadReference, referenceFromModule, richardsonJacobian } from "../../lib/reference/mod.ts";
import { handJacobian, handValues, POINTS } from "../_seed_equations.ts";

/** Supplied Jacobian: exact up to float64 rounding. */
const FLOAT64_RELATIVE = 1e-12;
/** Richardson-extrapolated central differences in float64 (3 levels, h = 1e-3): seen 1.1e-10 on the seed points. */
const RICHARDSON_RELATIVE = 1e-9;
const TESTDATA = new URL("./testdata/", import.meta.url).pathname;

function close(actual: number, expected: number, tol: number, what: string): void {
  assertAlmostEquals(actual, expected, tol * Math.max(1, Math.abs(expected)), what);
}

function checkSeed(jacobian: Float64Array, values: Float64Array, tol: number): void {
  for (let k = 0; k < POINTS.length / 4; k++) {
    const x = POINTS.subarray(4 * k, 4 * k + 4);
    const v = handValues(x), J = handJacobian(x);
    for (let i = 0; i < 4; i++) {
      close(values[k * 4 + i]!, v[i]!, FLOAT64_RELATIVE, `f${i + 1} at point ${k}`);
      for (let j = 0; j < 4; j++) {
        close(jacobian[(k * 4 + i) * 4 + j]!, J[i * 4 + j]!, tol, `df${i + 1}/dx${j + 1} at ${k}`);
      }
    }
  }
}

Deno.test("loadReference() of a TS module with a Jacobian uses it (exact)", async () => {
  const ref = await loadReference(`${TESTDATA}seed_with_jacobian.ts`);
  assertEquals(ref.exact, true);
  assertEquals(ref.outputs, ["f1", "f2", "f3", "f4"]);
  const r = ref.evaluate(POINTS, POINTS.length / 4);
  assertEquals(r.invalid, []);
  checkSeed(r.jacobian, r.values, FLOAT64_RELATIVE);
});

Deno.test("loadReference() of a TS module without a Jacobian matches the exact one to 1e-9 (Richardson)", async () => {
  const ref = await loadReference(`${TESTDATA}seed_without_jacobian.ts`);
  assertEquals(ref.exact, false);
  const r = ref.evaluate(POINTS, POINTS.length / 4);
  assertEquals(r.invalid, []);
  checkSeed(r.jacobian, r.values, RICHARDSON_RELATIVE);
});

Deno.test("richardsonJacobian() is far more accurate than one central difference", () => {
  const f = (x: Float64Array) => [Math.exp(3 * x[0]!) * Math.sin(5 * x[1]!)];
  const x = new Float64Array([1.3, 0.7]);
  const exact = [3 * Math.exp(3.9) * Math.sin(3.5), 5 * Math.exp(3.9) * Math.cos(3.5)];
  const error = (J: Float64Array) =>
    Math.max(...exact.map((e, j) => Math.abs(J[j]! - e) / Math.abs(e)));
  const plain = error(richardsonJacobian(f, x, { levels: 1 }));
  const extrapolated = error(richardsonJacobian(f, x));
  assertGreater(plain, 1e-7); // h = 1e-3: truncation ~ (5h)^2 / 6
  assertGreater(plain / 1000, extrapolated);
  assertGreater(RICHARDSON_RELATIVE, extrapolated);
  assertThrows(() => richardsonJacobian(f, x, { levels: 0 }), RangeError, "levels 0");
});

Deno.test("referenceFromModule() reports non-finite values and throwing points per row", () => {
  const ref = referenceFromModule({
    inputs: ["x"],
    outputs: ["log", "inv"],
    f: (x: Float64Array) => {
      if (x[0] === 7) throw new Error("no sevens");
      return [Math.log(x[0]!), 1 / x[0]!];
    },
  }, { source: "ref.ts" });
  const r = ref.evaluate(new Float64Array([1, -1, 7]), 3);
  assertEquals(r.invalid.map((e) => [e.row, e.output]), [[1, "log"], [2, "log"], [2, "inv"]]);
  assertStringIncludes(r.invalid[0]!.reason, "log is not finite (NaN)");
  assertStringIncludes(r.invalid[1]!.reason, "evaluation failed: no sevens");
  close(r.jacobian[0]!, 1, RICHARDSON_RELATIVE, "dlog/dx at 1");
  close(r.jacobian[3]!, -1, RICHARDSON_RELATIVE, "dinv/dx at -1"); // -1/x^2 at -1
  assertEquals(r.values[1 * 2 + 1], -1);
});

Deno.test("referenceFromModule() and loadReference() refuse malformed modules and files", async () => {
  assertThrows(
    () => referenceFromModule({ inputs: ["x"], outputs: ["y"] }, { source: "r.ts" }),
    TypeError,
    `Cannot load r.ts: it must export a function "f`,
  );
  assertThrows(
    () => referenceFromModule({ inputs: [], outputs: ["y"], f: () => [1] }, { source: "r.ts" }),
    TypeError,
    `it must export "inputs"`,
  );
  const wrong = referenceFromModule({ inputs: ["x"], outputs: ["y"], f: () => [1, 2] }, {
    source: "r.ts",
  });
  assertThrows(
    () => wrong.evaluate(new Float64Array([1]), 1),
    TypeError,
    "Cannot evaluate r.ts: f returned 2 values, expected 1",
  );
  await assertRejects(
    () => loadReference(`${TESTDATA}missing.ts`),
    Error,
    "missing.ts: no such file",
  );
  await assertRejects(() => loadReference(`${TESTDATA}r.csv`), TypeError, "a reference is a .json");
  await assertRejects(() => loadReference(`${TESTDATA}missing.json`), Error, "no such file");
});
