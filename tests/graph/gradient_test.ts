import { buildTfModel } from "../../lib/graph/tf_model.ts";
import { initTf } from "../../lib/tf/backend.ts";
import { assertAlmostEquals } from "../_assert.ts";
import { assertGradientsMatch, GRADIENT_TOL } from "./_gradients.ts";
import {
  attr,
  autodiffJacobian,
  floatInput,
  int64,
  node,
  seeded,
  tinyOnnxModel,
} from "./_tiny_graph.ts";

const N = 6;
const io = (n: number) => ({ name: "x", dims: [N, n], data: [] as number[] });

Deno.test("buildTfModel() gradients of an RBF (FastKAN-like) graph match float64 central differences", async () => {
  await assertGradientsMatch({
    nodes: [
      node("Unsqueeze", ["x", "axm1"], ["xu"]),
      node("Sub", ["xu", "grid"], ["d"]),
      node("Div", ["d", "h"], ["z"]),
      node("Pow", ["z", "two"], ["z2"]),
      node("Neg", ["z2"], ["nz"]),
      node("Exp", ["nz"], ["phi"]),
      node("Shape", ["x"], ["s"]),
      node("Gather", ["s", "zero"], ["b"]),
      node("Unsqueeze", ["b", "ax0"], ["b1"]),
      node("Concat", ["b1", "m1"], ["shape"], [attr.int("axis", 0)]),
      node("Reshape", ["phi", "shape"], ["flat"]),
      node("MatMul", ["flat", "w"], ["y"]),
    ],
    inputs: [io(3)],
    initializers: [
      int64("axm1", [-1]),
      { name: "grid", dims: [5], data: [-1, -0.5, 0, 0.5, 1] },
      { name: "h", dims: [], data: [0.5] },
      { name: "two", dims: [], data: [2] },
      int64("zero", [0], []),
      int64("ax0", [0]),
      int64("m1", [-1]),
      floatInput("w", [15, 2], 201),
    ],
    outputs: [{ name: "y", dims: [N, 2] }],
  }, N);
});

Deno.test("buildTfModel() gradients through B-spline masks (comparisons, And, Cast) match central differences", async () => {
  // Order-1 B-spline bases on a uniform grid: masks carry no gradient, the
  // linear factors carry it all. Points stay away from knots.
  const grid = [-1.5, -0.75, 0, 0.75, 1.5];
  await assertGradientsMatch(
    {
      nodes: [
        node("Unsqueeze", ["x", "axm1"], ["xu"]),
        node("GreaterOrEqual", ["xu", "g_lo"], ["ge"]),
        node("Less", ["xu", "g_hi"], ["lt"]),
        node("And", ["ge", "lt"], ["m"]),
        node("Cast", ["m"], ["b0"], [attr.int("to", 1)]),
        node("Sub", ["xu", "g0"], ["a1"]),
        node("Div", ["a1", "d01"], ["a2"]),
        node("Slice", ["b0", "s0", "e0", "axm1"], ["bl"]),
        node("Mul", ["a2", "bl"], ["left"]),
        node("Sub", ["g2", "xu"], ["c1"]),
        node("Div", ["c1", "d12"], ["c2"]),
        node("Slice", ["b0", "s1", "e1", "axm1"], ["br"]),
        node("Mul", ["c2", "br"], ["right"]),
        node("Add", ["left", "right"], ["b1"]),
        node("Reshape", ["b1", "shape"], ["flat"]),
        node("MatMul", ["flat", "w"], ["y"]),
      ],
      inputs: [io(2)],
      initializers: [
        int64("axm1", [-1]),
        { name: "g_lo", dims: [4], data: grid.slice(0, -1) },
        { name: "g_hi", dims: [4], data: grid.slice(1) },
        { name: "g0", dims: [3], data: grid.slice(0, 3) },
        { name: "g2", dims: [3], data: grid.slice(2) },
        { name: "d01", dims: [3], data: [0.75, 0.75, 0.75] },
        { name: "d12", dims: [3], data: [0.75, 0.75, 0.75] },
        int64("s0", [0]),
        int64("e0", [3]),
        int64("s1", [1]),
        int64("e1", [4]),
        int64("shape", [0, -1]),
        floatInput("w", [6, 3], 202),
      ],
      outputs: [{ name: "y", dims: [N, 3] }],
    },
    N,
    -1.3,
    1.3,
  );
});

Deno.test("buildTfModel() gradients of a LayerNorm/Gemm/activation stack match central differences", async () => {
  await assertGradientsMatch({
    nodes: [
      node("LayerNormalization", ["x", "ls", "lb"], ["ln"]),
      node("Gemm", ["ln", "w1", "b1"], ["h1"], [attr.int("transB", 1)]),
      node("Sigmoid", ["h1"], ["s1"]),
      node("Mul", ["h1", "s1"], ["silu"]),
      node("Tanh", ["silu"], ["t"]),
      node("Softplus", ["t"], ["sp"]),
      node("Erf", ["sp"], ["er"]),
      node("Elu", ["h1"], ["el"]),
      node("Add", ["er", "el"], ["h2"]),
      node("ReduceMean", ["h2"], ["mu"], [attr.ints("axes", [1]), attr.int("keepdims", 1)]),
      node("Sub", ["h2", "mu"], ["c"]),
      node("Gemm", ["c", "w2"], ["y"]),
    ],
    inputs: [io(4)],
    initializers: [
      floatInput("ls", [4], 203, 0.5, 1.5),
      floatInput("lb", [4], 204),
      floatInput("w1", [5, 4], 205),
      floatInput("b1", [5], 206),
      floatInput("w2", [5, 3], 207),
    ],
    outputs: [{ name: "y", dims: [N, 3] }],
  }, N);
});

Deno.test("buildTfModel() gradients of Pow at negative bases (exponents 2 and 3), Sqrt, Div are finite and correct", async () => {
  await assertGradientsMatch(
    {
      nodes: [
        node("Pow", ["x", "two"], ["sq"]),
        node("Pow", ["x", "three"], ["cube"]),
        node("Add", ["sq", "one"], ["s1"]),
        node("Sqrt", ["s1"], ["r"]),
        node("Div", ["cube", "r"], ["q"]),
        node("Constant", [], ["c2"], [attr.float("value_float", 2)]),
        node("Pow", ["q", "c2"], ["q2"]),
        node("Concat", ["q", "q2"], ["y"], [attr.int("axis", 1)]),
      ],
      inputs: [io(2)],
      initializers: [
        { name: "two", dims: [], data: [2] },
        { name: "three", dims: [], data: [3] },
        { name: "one", dims: [], data: [1] },
      ],
      outputs: [{ name: "y", dims: [N, 4] }],
    },
    N,
    -2,
    0,
  );
});

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

Deno.test("buildTfModel() activation gradients match their analytic derivatives", async (t) => {
  await initTf();
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const cases: [string, (v: number) => number][] = [
    ["Erf", (v) => (2 / Math.sqrt(Math.PI)) * Math.exp(-v * v)],
    ["Softplus", sig],
    ["Softsign", (v) => 1 / (1 + Math.abs(v)) ** 2],
    ["Sigmoid", (v) => sig(v) * (1 - sig(v))],
    ["Tanh", (v) => 1 - Math.tanh(v) ** 2],
    ["Elu", (v) => (v > 0 ? 1 : Math.exp(v))],
    ["Selu", (v) => SELU_GAMMA * (v > 0 ? 1 : SELU_ALPHA * Math.exp(v))],
    ["LeakyRelu", (v) => (v > 0 ? 1 : 0.01)],
    ["HardSigmoid", (v) => (Math.abs(0.2 * v + 0.5 - 0.5) < 0.5 ? 0.2 : 0)],
    ["Relu", (v) => (v > 0 ? 1 : 0)],
  ];
  // Points away from kinks (0 and HardSigmoid's +-2.5).
  const x = Float64Array.from(
    seeded(N * 3, 9, -3, 3).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v)),
  );
  for (const [op, derivative] of cases) {
    await t.step(op, async () => {
      const model = buildTfModel(tinyOnnxModel({
        nodes: [node(op, ["x"], ["y"])],
        inputs: [io(3)],
        outputs: [{ name: "y", dims: [N, 3] }],
      }));
      try {
        const jac = await autodiffJacobian(model, x, N);
        for (let k = 0; k < N; k++) {
          for (let i = 0; i < 3; i++) {
            for (let j = 0; j < 3; j++) {
              const v = Math.fround(x[k * 3 + j]!);
              const expected = i === j ? derivative(v) : 0;
              assertAlmostEquals(
                jac[k]![i]![j]!,
                expected,
                GRADIENT_TOL.float32,
                `${op} J[${k}][${i}][${j}]`,
              );
            }
          }
        }
      } finally {
        model.dispose();
      }
    });
  }
});

Deno.test("buildTfModel() gradients through Expand and batch-broadcast MatMul match central differences", async () => {
  await assertGradientsMatch({
    nodes: [
      node("Reshape", ["x", "s4"], ["x4"]),
      node("MatMul", ["x4", "w"], ["p"]),
      node("Reshape", ["p", "s2"], ["pf"]),
      node("Unsqueeze", ["x", "ax1"], ["x3"]),
      node("Expand", ["x3", "e"], ["xe"]),
      node("Mul", ["xe", "v"], ["q"]),
      node("Reshape", ["q", "s2"], ["qf"]),
      node("Mul", ["pf", "qf"], ["y"]),
    ],
    inputs: [io(2)],
    initializers: [
      int64("s4", [0, 1, 1, 2]),
      floatInput("w", [3, 2, 2], 208),
      int64("s2", [0, -1]),
      int64("ax1", [1]),
      int64("e", [1, 3, 2]),
      floatInput("v", [3, 2], 209),
    ],
    outputs: [{ name: "y", dims: [N, 6] }],
  }, N);
});
