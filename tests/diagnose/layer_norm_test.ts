import { diagnoseGraph } from "../../lib/diagnose/mod.ts";
import type { LayerNormFinding } from "../../lib/diagnose/mod.ts";
import { assertAlmostEquals, assertEquals } from "../_assert.ts";
import { attr, constant, floats, node, tinyModel } from "./_tiny_model.ts";

/** ε as ONNX stores it (a float32 attribute). */
const EPS = Math.fround(1e-5);
/** σ and gain are float64 statistics of float32-exact inputs: only summation order differs. */
const STAT_TOL = { float64: 1e-12 } as const;

// Five rows of k = 4 values, all exact in float32, with hand-computed variances:
// [0,1,2,3] 1.25; [1,1,1,5] 3; [0.5,-0.5,0.25,0.75] 0.21875; [2,4,4,6] 2; [10,-10,0,0] 50.
const ROWS = [0, 1, 2, 3, 1, 1, 1, 5, 0.5, -0.5, 0.25, 0.75, 2, 4, 4, 6, 10, -10, 0, 0];
const SIGMA_MIN = Math.sqrt(0.21875 + EPS);
const SIGMA_MEDIAN = Math.sqrt(2 + EPS);
const GAMMA = [1, 2, 0.5, 3];
const BETA = [0.1, 0, -0.2, 0.3];

function layerNormOp(input = "x") {
  return tinyModel({
    n: 4,
    m: 4,
    nodes: [
      node("LayerNormalization", [input, "gamma", "beta"], ["y"], [
        attr.int("axis", -1),
        attr.float("epsilon", 1e-5),
      ], "ln"),
    ],
    initializers: [floats("gamma", [4], GAMMA), floats("beta", [4], BETA)],
  });
}

/** The opset-13 export of torch.nn.LayerNorm: ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add. */
function layerNormDecomposed() {
  return tinyModel({
    n: 4,
    m: 4,
    opset: 13,
    nodes: [
      node("ReduceMean", ["x"], ["mean"], [attr.ints("axes", [-1])], "ln/ReduceMean"),
      node("Sub", ["x", "mean"], ["d"], [], "ln/Sub"),
      constant("two", [], [2]),
      node("Pow", ["d", "two"], ["d2"], [], "ln/Pow"),
      node("ReduceMean", ["d2"], ["var"], [attr.ints("axes", [-1])], "ln/ReduceMean_1"),
      constant("eps", [], [1e-5]),
      node("Add", ["var", "eps"], ["ve"], [], "ln/Add"),
      node("Sqrt", ["ve"], ["s"], [], "ln/Sqrt"),
      node("Div", ["d", "s"], ["z"], [], "ln/Div"),
      node("Mul", ["z", "gamma"], ["gz"], [], "ln/Mul"),
      node("Add", ["gz", "beta"], ["y"], [], "ln/Add_1"),
    ],
    initializers: [floats("gamma", [4], GAMMA), floats("beta", [4], BETA)],
  });
}

function assertHandStatistics(f: LayerNormFinding) {
  assertEquals(f.k, 4);
  assertEquals(f.rows, 5);
  assertEquals(f.epsilon, EPS);
  assertEquals(f.firstLayer, true);
  assertEquals(f.rank, { min: 2, max: 2 });
  assertEquals(f.rankCounts, [{ rank: 2, rows: 5 }]);
  assertAlmostEquals(f.sigma.min, SIGMA_MIN, STAT_TOL.float64);
  assertAlmostEquals(f.sigma.median, SIGMA_MEDIAN, STAT_TOL.float64);
  assertAlmostEquals(f.gain.max, 1 / SIGMA_MIN, STAT_TOL.float64);
  assertAlmostEquals(f.gain.median, 1 / SIGMA_MEDIAN, STAT_TOL.float64);
}

Deno.test("diagnoseGraph() measures rank 2 of 4, σ and gain of a LayerNormalization node", async () => {
  const d = await diagnoseGraph(layerNormOp(), Float64Array.from(ROWS), 5);
  assertEquals(d.layerNorms.length, 1);
  const f = d.layerNorms[0]!;
  assertEquals([f.node, f.pattern, f.input], ["ln", "op", "x"]);
  assertHandStatistics(f);
});

Deno.test("diagnoseGraph() finds the decomposed layer norm and measures it like the op", async () => {
  const d = await diagnoseGraph(layerNormDecomposed(), Float64Array.from(ROWS), 5);
  assertEquals(d.layerNorms.length, 1);
  const f = d.layerNorms[0]!;
  assertEquals([f.node, f.pattern, f.input], ["ln/ReduceMean", "decomposed", "x"]);
  assertEquals(f.nodes, [
    "ln/ReduceMean",
    "ln/Sub",
    "ln/Pow",
    "ln/ReduceMean_1",
    "ln/Add",
    "ln/Sqrt",
    "ln/Div",
    "ln/Mul",
    "ln/Add_1",
  ]);
  assertHandStatistics(f);
});

Deno.test("diagnoseGraph() counts the ε-kept scale direction where the k inputs are (nearly) equal", async () => {
  // [1,1,1,1]: var 0, the Jacobian is (I - 11ᵀ/4)/σ, rank 3.
  // [0,0,0,0.004]: var 3e-6, the scale direction keeps ε/(var+ε) ≈ 0.77 of its size: rank 3.
  // [0,0,0,1]: var 0.1875, ε/(var+ε) ≈ 5e-5 < 1e-3: rank 2; above a 1e-6 tolerance: rank 3.
  const x = Float64Array.of(1, 1, 1, 1, 0, 0, 0, 0.004, 0, 0, 0, 1);
  const model = tinyModel({
    n: 4,
    m: 4,
    nodes: [node("LayerNormalization", ["x", "one"], ["y"], [], "ln")],
    initializers: [floats("one", [4], [1, 1, 1, 1])],
  });
  const d = await diagnoseGraph(model, x, 3);
  const f = d.layerNorms[0]!;
  assertEquals(f.rankCounts, [{ rank: 2, rows: 1 }, { rank: 3, rows: 2 }]);
  assertAlmostEquals(f.sigma.min, Math.sqrt(EPS), STAT_TOL.float64);
  assertAlmostEquals(f.gain.max, 1 / Math.sqrt(EPS), 1e-12 / EPS);
  const tight = await diagnoseGraph(model, x, 3, { rankTolerance: 1e-6 });
  assertEquals(tight.layerNorms[0]!.rank, { min: 3, max: 3 });
});

Deno.test("diagnoseGraph() marks a layer norm of a hidden tensor as not the first layer", async () => {
  const model = tinyModel({
    n: 4,
    m: 4,
    nodes: [
      node("Mul", ["x", "two"], ["h"], [], "scale"),
      node("LayerNormalization", ["h", "gamma"], ["y"], [], "ln"),
    ],
    initializers: [floats("two", [], [2]), floats("gamma", [4], GAMMA)],
  });
  const d = await diagnoseGraph(model, Float64Array.from(ROWS), 5);
  const f = d.layerNorms[0]!;
  assertEquals([f.input, f.firstLayer], ["h", false]);
  // h = 2x: var quadruples
  assertAlmostEquals(f.sigma.min, Math.sqrt(4 * 0.21875 + EPS), STAT_TOL.float64);
});

Deno.test("diagnoseGraph() ignores a ReduceMean that is not over the last axis", async () => {
  const model = tinyModel({
    n: 4,
    m: 4,
    nodes: [
      node("ReduceMean", ["x"], ["mean"], [attr.ints("axes", [0])], "colmean"),
      node("Sub", ["x", "mean"], ["y"], [], "center"),
    ],
    opset: 13,
  });
  const d = await diagnoseGraph(model, Float64Array.from(ROWS), 5);
  assertEquals(d.layerNorms, []);
});
