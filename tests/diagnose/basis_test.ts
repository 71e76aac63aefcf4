import { diagnoseGraph } from "../../lib/diagnose/mod.ts";
import type { BSplineFinding, RbfFinding } from "../../lib/diagnose/mod.ts";
import { createOrtRunner } from "../../lib/onnx/ort_runner.ts";
import { assertAlmostEquals, assertEquals, assertGreater } from "../_assert.ts";
import { attr, constant, floats, ints, node, tinyModel } from "./_tiny_model.ts";

/** Float32 sums of a few bases in [0, 1]. */
const BASIS_SUM_TOL = { float32: 1e-6 } as const;
/** Exact shares are ratios of small counts; coverage is a ratio of float32-exact widths. */
const SHARE_TOL = { float64: 1e-12 } as const;

/** FastKAN's RBF: exp(-((x - grid) / h)^2) over a grid reached through Identity, summed per input. */
function rbfModel() {
  return tinyModel({
    n: 2,
    m: 2,
    nodes: [
      node("Identity", ["grid0"], ["grid"], [], "alias"),
      node("Unsqueeze", ["x", "axis_last"], ["u"], [], "rbf/Unsqueeze"),
      node("Sub", ["u", "grid"], ["d"], [], "rbf/Sub"),
      constant("h", [], [0.5]),
      node("Div", ["d", "h"], ["q"], [], "rbf/Div"),
      constant("two", [], [2]),
      node("Pow", ["q", "two"], ["q2"], [], "rbf/Pow"),
      node("Neg", ["q2"], ["nq2"], [], "rbf/Neg"),
      node("Exp", ["nq2"], ["e"], [], "rbf/Exp"),
      node("ReduceSum", ["e", "axis_last"], ["y"], [attr.int("keepdims", 0)], "sum"),
    ],
    initializers: [floats("grid0", [5], [-1, -0.5, 0, 0.5, 1]), ints("axis_last", [-1])],
  });
}

Deno.test("diagnoseGraph() finds an RBF grid through Identity and the share of inputs outside it", async () => {
  // 4 of 10 values outside [-1, 1]: -1.5, 1.25, 2 and 1.0001 (float32 1.00010001…); ±1 are inside
  const x = Float64Array.of(-1, 1, -1.5, 0.2, 1.25, 0, 2, -0.75, 0.5, 1.0001);
  const d = await diagnoseGraph(rbfModel(), x, 5);
  assertEquals(d.bases.length, 1);
  const f = d.bases[0] as RbfFinding;
  assertEquals([f.kind, f.node, f.input], ["rbf", "rbf/Sub", "u"]);
  assertEquals(f.grid, { min: -1, max: 1, count: 5 });
  assertEquals(f.count, 10);
  assertAlmostEquals(f.outsideShare, 0.4, SHARE_TOL.float64);
  assertEquals(f.values, { min: -1.5, max: 2 });
  assertEquals(f.coverage, 1);
});

Deno.test("diagnoseGraph() reports the share of an RBF grid the inputs cover", async () => {
  const x = Float64Array.of(-0.5, 0, 0.25, 0.5);
  const f = (await diagnoseGraph(rbfModel(), x, 2)).bases[0] as RbfFinding;
  assertEquals(f.outsideShare, 0);
  assertAlmostEquals(f.coverage, 0.5, SHARE_TOL.float64);
});

Deno.test("diagnoseGraph() does not take a Sub by a constant without an Exp for a basis", async () => {
  const model = tinyModel({
    n: 2,
    m: 2,
    nodes: [node("Sub", ["x", "c"], ["y"], [], "shift")],
    initializers: [floats("c", [2], [1, 2])],
  });
  assertEquals((await diagnoseGraph(model, Float64Array.of(0, 0), 1)).bases, []);
});

// Order-2 B-splines on per-feature knots, built as efficient-KAN's b_splines()
// exports with constant folding: GreaterOrEqual/Less/And/Cast, then two Cox–de
// Boor levels with folded knot differences.
const ORDER = 2;
const KNOTS = [
  [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2], // central grid [t2, t6) = [-1, 1), 4 intervals
  [-1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3], // central grid [0, 2)
];

function cols(from: number, count: number): number[] {
  return KNOTS.flatMap((t) => t.slice(from, from + count));
}

function diff(a: number[], b: number[]): number[] {
  return a.map((v, i) => v - b[i]!);
}

function bSplineModel() {
  const K = KNOTS[0]!.length - 1;
  const nodes = [
    node("Unsqueeze", ["x", "axis_last"], ["u"], [], "Unsqueeze"),
    node("GreaterOrEqual", ["u", "lo"], ["ge"], [], "GreaterOrEqual"),
    node("Less", ["u", "hi"], ["lt"], [], "Less"),
    node("And", ["ge", "lt"], ["in"], [], "And"),
    node("Cast", ["in"], ["b0"], [attr.int("to", 1)], "Cast"),
  ];
  const initializers = [
    floats("lo", [2, K], cols(0, K)),
    floats("hi", [2, K], cols(1, K)),
    ints("axis_last", [-1]),
    ints("axis2", [2]),
    ints("zero", [0]),
    ints("one", [1]),
    ints("minus1", [-1]),
    ints("end", [1 << 30]),
  ];
  for (let j = 1; j <= ORDER; j++) {
    const w = K - j;
    const prev = `b${j - 1}`;
    const a = cols(0, w);
    const c = cols(j + 1, w);
    initializers.push(
      floats(`a${j}`, [2, w], a),
      floats(`da${j}`, [2, w], diff(cols(j, w), a)),
      floats(`c${j}`, [2, w], c),
      floats(`dc${j}`, [2, w], diff(c, cols(1, w))),
    );
    nodes.push(
      node("Sub", ["u", `a${j}`], [`l${j}`], [], `Sub_${j}a`),
      node("Div", [`l${j}`, `da${j}`], [`lq${j}`], [], `Div_${j}a`),
      node("Slice", [prev, "zero", "minus1", "axis2"], [`bl${j}`], [], `Slice_${j}a`),
      node("Mul", [`lq${j}`, `bl${j}`], [`lm${j}`], [], `Mul_${j}a`),
      node("Sub", [`c${j}`, "u"], [`r${j}`], [], `Sub_${j}b`),
      node("Div", [`r${j}`, `dc${j}`], [`rq${j}`], [], `Div_${j}b`),
      node("Slice", [prev, "one", "end", "axis2"], [`br${j}`], [], `Slice_${j}b`),
      node("Mul", [`rq${j}`, `br${j}`], [`rm${j}`], [], `Mul_${j}b`),
      node("Add", [`lm${j}`, `rm${j}`], [`b${j}`], [], `Add_${j}`),
    );
  }
  nodes.push(
    node("ReduceSum", [`b${ORDER}`, "axis_last"], ["y"], [attr.int("keepdims", 0)], "sum"),
  );
  return tinyModel({ n: 2, m: 2, nodes, initializers });
}

Deno.test("diagnoseGraph() infers the B-spline order and central grid from the graph and counts values outside", async () => {
  // rows (feature 0, feature 1); feature 0 knots [-2, 2], central [-1, 1]; feature 1 knots [-1, 3], central [0, 2]
  // outside the knots [t_0, t_K): -2.5, 2 (feature 0), 3 (feature 1)     -> 3 of 12
  // outside the central grid: those and 1.25 (feature 0), -0.5, 2.5 (1) -> 6 of 12
  // (1, 2) sits on the right ends of the central grids: inside for order >= 1
  const x = Float64Array.of(-1, 0, 0.25, 1.75, 1.25, -0.5, -2.5, 3, 2, 2.5, 1, 2);
  const points = 6;
  const model = bSplineModel();
  const d = await diagnoseGraph(model, x, points);
  assertEquals(d.bases.length, 1);
  const f = d.bases[0] as BSplineFinding;
  assertEquals([f.kind, f.node, f.input], ["b-spline", "GreaterOrEqual", "u"]);
  assertEquals(f.order, 2);
  assertEquals(f.knots, { min: -2, max: 3, count: 9 });
  assertEquals(f.central, { min: -1, max: 2, intervals: 4 });
  assertEquals(f.count, 12);
  assertAlmostEquals(f.outsideKnotShare, 0.25, SHARE_TOL.float64);
  assertAlmostEquals(f.outsideCentralShare, 0.5, SHARE_TOL.float64);
  assertEquals(f.values, { min: -2.5, max: 3 });

  // Independent check of the partition-of-unity region: the graph's own sum of
  // bases is 1 exactly for the values reported inside the central grid, below
  // 1 between it and the knot ends, and 0 outside the knots.
  const runner = await createOrtRunner(model);
  const sums = await runner.run(x, points);
  await runner.release();
  const central = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1];
  const inKnots = [1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1];
  for (let e = 0; e < 2 * points; e++) {
    if (central[e]) assertAlmostEquals(sums[e]!, 1, BASIS_SUM_TOL.float32);
    else if (inKnots[e]) assertGreater(Math.abs(1 - sums[e]!), 1e-3);
    else assertEquals(sums[e], 0);
  }
});
