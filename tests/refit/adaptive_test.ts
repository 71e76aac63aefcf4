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
  // a Latin hypercube has one candidate per stratum of width 1/200: the 10 largest x1 are ≥ 190/200
  for (let k = 0; k < 10; k++) {
    const x1 = data.x[2 * k]!, x2 = data.x[2 * k + 1]!;
    assertGreaterOrEqual(x1, 0.95);
    assertAlmostEquals(data.values[k]!, x1 * x1 + x2, 1e-12);
    assertAlmostEquals(data.jacobian![2 * k]!, 2 * x1, 1e-12);
    assertEquals(data.jacobian![2 * k + 1], 1);
  }
  // scores are |0 − 2·x1| / max over the pool of |2·x1|
  assertGreaterOrEqual(summary.score.addedMin, 0.95);
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
