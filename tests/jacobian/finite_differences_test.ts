import {
  finiteDifferenceJacobian,
  MACHINE_EPSILON,
  stepSweep,
} from "../../lib/jacobian/finite_differences.ts";
import { makeJacobians } from "../../lib/jacobian/types.ts";
import { assertEquals, assertGreater, assertRejects } from "../_assert.ts";
import { assertAllClose, type Tolerance } from "./_close.ts";
import { handJacobianBatch, handValuesBatch } from "../_seed_equations.ts";

/**
 * Central differences of a float64 function at the default step ε^(1/3)·scale:
 * truncation and round-off both ≈ 1e-11 relative to the function's scale; the
 * bound leaves room for third derivatives of O(10).
 */
const FD_TOL: Record<"float64", Tolerance> = { float64: { rtol: 1e-8, atol: 1e-8 } };
/** Richardson at its default step ε^(1/5)·scale: h⁴ truncation and ε/h round-off ≈ 1e-13. */
const RICHARDSON_TOL: Record<"float64", Tolerance> = { float64: { rtol: 1e-11, atol: 1e-11 } };

// The user's equation set (report): 4 inputs, 4 outputs, float64, batched.
const equations = handValuesBatch;
const equationsJacobian = handJacobianBatch;
// Points in [0.5, 2]^4 (x3^3.5 and x4^1.5 need x > 0).
const N = 20;
const X = Float64Array.from({ length: N * 4 }, (_, i) => 0.5 + 1.5 * ((i * 0.618034) % 1));
const SCALE = [1.5, 1.5, 1.5, 1.5];
const SIZES = { points: N, inputWidth: 4, outputWidth: 4, inputScale: SCALE };

/** Per-entry tolerance relative to the largest |J| of the entry's output row. */
function rowTolerance(tol: Tolerance, exact: Float64Array): Tolerance[] {
  return [0, 1, 2, 3].map((i) => {
    let max = 0;
    for (let k = 0; k < N; k++) {
      for (let j = 0; j < 4; j++) max = Math.max(max, Math.abs(exact[k * 16 + i * 4 + j]!));
    }
    return { rtol: tol.rtol, atol: tol.atol * max };
  });
}
function assertRowsClose(actual: Float64Array, exact: Float64Array, tol: Tolerance): void {
  const rows = rowTolerance(tol, exact);
  for (let i = 0; i < 4; i++) {
    const pick = (a: Float64Array) =>
      Float64Array.from({ length: N * 4 }, (_, e) => a[Math.floor(e / 4) * 16 + i * 4 + e % 4]!);
    assertAllClose(pick(actual), pick(exact), rows[i]!);
  }
}

Deno.test("finiteDifferenceJacobian() matches the analytic Jacobian of the report's equations", async () => {
  let calls = 0;
  const counted = (x: Float64Array, p: number) => (calls++, equations(x, p));
  const jac = await finiteDifferenceJacobian(counted, X, SIZES);
  assertEquals(calls, 4); // one batched call per input
  assertEquals(jac.outputs, ["y1", "y2", "y3", "y4"]);
  assertRowsClose(jac.values, equationsJacobian(X, N), FD_TOL.float64);
});

Deno.test("finiteDifferenceJacobian() with Richardson extrapolation reaches ~1e-11", async () => {
  let calls = 0;
  const counted = (x: Float64Array, p: number) => (calls++, equations(x, p));
  const jac = await finiteDifferenceJacobian(counted, X, { ...SIZES, richardson: true });
  assertEquals(calls, 4);
  assertRowsClose(jac.values, equationsJacobian(X, N), RICHARDSON_TOL.float64);
});

Deno.test("finiteDifferenceJacobian() accepts an async function and per-input steps", async () => {
  const jac = await finiteDifferenceJacobian(
    (x: Float64Array, p: number) => Promise.resolve(equations(x, p)),
    X,
    { points: N, inputWidth: 4, outputWidth: 4, step: [1e-5, 2e-5, 1e-5, 3e-6] },
  );
  assertRowsClose(jac.values, equationsJacobian(X, N), FD_TOL.float64);
});

Deno.test("finiteDifferenceJacobian() rounds float32 steps to what a float32 function sees", async () => {
  // A float32 function: rounds its inputs and result to float32. The float32
  // default step ε32^(1/3) ≈ 5e-3 keeps the error near 1e-5 relative.
  const f32 = (x: Float64Array, p: number) =>
    Float64Array.from(Float32Array.from(equations(Float64Array.from(Float32Array.from(x)), p)));
  const jac = await finiteDifferenceJacobian(f32, X, { ...SIZES, dtype: "float32" });
  assertRowsClose(jac.values, equationsJacobian(X, N), { rtol: 1e-4, atol: 1e-4 });
});

Deno.test("finiteDifferenceJacobian() refuses a function returning the wrong width", async () => {
  await assertRejects(
    () => finiteDifferenceJacobian((x: Float64Array) => x.slice(1), X, SIZES),
    TypeError,
    "the function returned 159 values for 40 points of output width 4",
  );
});

Deno.test("stepSweep() shows a U-shaped error curve with its floor near ε^(1/3)", async () => {
  const optimal = MACHINE_EPSILON.float64 ** (1 / 3);
  const reference = makeJacobians(equationsJacobian(X, N), {
    points: N,
    outputs: ["y1", "y2", "y3", "y4"],
    inputs: ["x1", "x2", "x3", "x4"],
  });
  const sweep = await stepSweep(equations, X, {
    ...SIZES,
    steps: [1e-12, optimal, 1e-1],
    reference,
  });
  const [tiny, best, large] = sweep.map((r) => r.maxAbsError) as [number, number, number];
  assertGreater(tiny, 10 * best); // round-off ∝ ε/h
  assertGreater(large, 10 * best); // truncation ∝ h²
  assertEquals(sweep.map((r) => r.step), [1e-12, optimal, 1e-1]);
  // The default reference (Richardson) gives the same floor within its own error.
  const own = await stepSweep(equations, X, { ...SIZES, steps: [optimal] });
  assertAllClose([own[0]!.maxAbsError], [best], { rtol: 0.5, atol: 0 });
});
