import { assertAlmostEquals, assertEquals, assertGreaterOrEqual } from "../_assert.ts";
import { refineTrainingSet } from "../../lib/refit/adaptive.ts";
import { referenceFromEquations } from "../../lib/reference/equations.ts";
import { makeBounds } from "../../lib/sampling/bounds.ts";
import { identityScaling } from "../../lib/scaling/scaler.ts";

// f = x1² + x2 on [0, 1]²; a "model" whose Jacobian is (0, 1) everywhere is wrong by 2·x1 in
// ∂f/∂x1 only, so the worst candidates are those with the largest x1.
const reference = referenceFromEquations(
  { inputs: ["x1", "x2"], outputs: { f: "x1^2 + x2" } },
  "f.json",
);
const bounds = makeBounds(["x1", "x2"], { min: [0, 0], max: [1, 1] });
const modelAt = (xn: Float32Array) => {
  const N = xn.length / 2;
  const jacobian = new Float32Array(2 * N);
  for (let k = 0; k < N; k++) jacobian[2 * k + 1] = 1;
  return { y: new Float32Array(N), jacobian };
};

Deno.test("refineTrainingSet() adds the candidates with the largest Jacobian error, with the reference's targets", () => {
  const { data, summary } = refineTrainingSet(
    { reference, bounds, points: 10, candidates: 200 },
    { round: 0, seed: 3, trainPoints: 100, modelAt, scaling: identityScaling(2, 1) },
  );
  assertEquals(data.points, 10);
  assertEquals(summary.added, 10);
  assertEquals(summary.candidates, 200);
  // the corners x1 = 1 and the local stage around them hold the largest errors
  for (let k = 0; k < 10; k++) {
    const x1 = data.x[2 * k]!, x2 = data.x[2 * k + 1]!;
    assertGreaterOrEqual(x1, 0.9);
    assertAlmostEquals(data.values[k]!, x1 * x1 + x2, 1e-12);
    assertAlmostEquals(data.jacobian![2 * k]!, 2 * x1, 1e-12);
    assertEquals(data.jacobian![2 * k + 1], 1);
  }
  // scores are |0 − 2·x1| / max over the pool of |2·x1|
  assertGreaterOrEqual(summary.score.addedMin, 0.9);
  assertEquals(summary.score.max, 1);
  // spread: no two added points closer than half the training set's spacing (100^(-1/2))
  for (let a = 0; a < 10; a++) {
    for (let b = a + 1; b < 10; b++) {
      const d = Math.hypot(
        data.x[2 * a]! - data.x[2 * b]!,
        data.x[2 * a + 1]! - data.x[2 * b + 1]!,
      );
      assertGreaterOrEqual(d, 0.05);
    }
  }
  assertGreaterOrEqual(summary.score.max, summary.score.addedMin);
});

Deno.test("refineTrainingSet() adds nothing after its last round", () => {
  const { data, summary } = refineTrainingSet(
    { reference, bounds, points: 10, rounds: 2 },
    { round: 2, seed: 3, trainPoints: 100, modelAt, scaling: identityScaling(2, 1) },
  );
  assertEquals(data.points, 0);
  assertEquals(summary.added, 0);
});

Deno.test("refineTrainingSet() finds a small region of large error that a uniform design of the same size misses", () => {
  // The model is wrong only where x1 > 0.96 and x2 > 0.96 (0.16 % of the box), most at (1, 1).
  const corner = (xn: Float32Array) => {
    const N = xn.length / 2;
    const jacobian = new Float32Array(2 * N);
    for (let k = 0; k < N; k++) {
      const a = xn[2 * k]!, b = xn[2 * k + 1]!;
      jacobian[2 * k] = 2 * a + (a > 0.96 && b > 0.96 ? (a - 0.96) * (b - 0.96) * 1e3 : 0);
      jacobian[2 * k + 1] = 1;
    }
    return { y: new Float32Array(N), jacobian };
  };
  const { data } = refineTrainingSet(
    { reference, bounds, points: 5, candidates: 100 },
    { round: 0, seed: 1, trainPoints: 400, modelAt: corner, scaling: identityScaling(2, 1) },
  );
  const inside = Array.from({ length: data.points }, (_, k) => k)
    .filter((k) => data.x[2 * k]! > 0.96 && data.x[2 * k + 1]! > 0.96);
  // expected number of 100 uniform points in the region: 0.16
  assertGreaterOrEqual(inside.length, 3);
});
