import { assertGradientsMatch, assertSecondOrderOf, sandwich } from "../_gradients.ts";
import { assertAgrees, attr, floatInput, int64, node } from "../_tiny_graph.ts";

const BINARY = ["Add", "Sub", "Mul", "Div"];

Deno.test("ELEMENTWISE_OPS binary ops match onnxruntime with numpy broadcasting", async (t) => {
  const shapes: [number[], number[]][] = [
    [[2, 3], [2, 3]],
    [[2, 3], [3]],
    [[2, 1, 3], [4, 1]],
    [[1], [2, 3]],
    [[], [2, 2]],
  ];
  for (const op of BINARY) {
    for (const [i, [da, db]] of shapes.entries()) {
      await t.step(`${op} [${da}] with [${db}]`, async () => {
        await assertAgrees({
          nodes: [node(op, ["a", "b"], ["y"])],
          inputs: [floatInput("a", da, 1 + i), floatInput("b", db, 11 + i, 0.5, 2)],
          outputs: ["y"],
        });
      });
    }
  }
});

Deno.test("ELEMENTWISE_OPS binary ops with a float initializer operand match onnxruntime", async () => {
  await assertAgrees({
    nodes: [node("Mul", ["a", "w"], ["p"]), node("Sub", ["p", "w"], ["y"])],
    inputs: [floatInput("a", [3, 2], 3)],
    initializers: [floatInput("w", [2], 4)],
    outputs: ["y"],
  });
});

Deno.test("ELEMENTWISE_OPS integer Add/Mul/Div on host values match onnxruntime (truncating division)", async () => {
  await assertAgrees({
    nodes: [
      node("Add", ["i", "j"], ["s"]),
      node("Mul", ["s", "j"], ["p"]),
      node("Div", ["p", "k"], ["y"]),
    ],
    inputs: [],
    initializers: [int64("i", [7, -7, 9]), int64("j", [2, 3, -4]), int64("k", [4, 5, 3])],
    outputs: [{ name: "y", dataType: 7 }],
  });
  // The same on int32 tensors (graph inputs are fed as tensors).
  await assertAgrees({
    nodes: [node("Div", ["p", "k"], ["y"])],
    inputs: [int64("p", [18, -12, -20, 7]), int64("k", [4, 5, 3, -2])],
    outputs: [{ name: "y", dataType: 7 }],
  });
});

Deno.test("ELEMENTWISE_OPS Pow matches onnxruntime for exponent 2, 3, 0.5 and a tensor exponent", async (t) => {
  for (const e of [2, 3, -1]) {
    await t.step(`exponent ${e} (initializer), negative bases`, async () => {
      await assertAgrees({
        nodes: [node("Pow", ["x", "e"], ["y"])],
        inputs: [floatInput("x", [2, 3], 5, -2, 2)],
        initializers: [{ name: "e", dims: [], data: [e] }],
        outputs: ["y"],
      });
    });
  }
  await t.step("exponent 0.5 from a Constant", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["e"], [{ name: "value_float", type: 1, f: 0.5 }]),
        node("Pow", ["x", "e"], ["y"]),
      ],
      inputs: [floatInput("x", [2, 3], 6, 0.1, 3)],
      outputs: ["y"],
    });
  });
  await t.step("exponent 2 broadcast to a larger shape", async () => {
    await assertAgrees({
      nodes: [node("Pow", ["x", "e"], ["y"])],
      inputs: [floatInput("x", [3], 6)],
      initializers: [{ name: "e", dims: [2, 1], data: [2, 2] }],
      outputs: ["y"],
    });
  });
  await t.step("tensor exponent", async () => {
    await assertAgrees({
      nodes: [node("Pow", ["x", "e"], ["y"])],
      inputs: [floatInput("x", [2, 3], 7, 0.5, 2), floatInput("e", [3], 8, -2, 2)],
      outputs: ["y"],
    });
  });
});

Deno.test("ELEMENTWISE_OPS Min, Max, Sum and Mean (variadic, broadcasting) match onnxruntime", async () => {
  for (const op of ["Min", "Max", "Sum", "Mean"]) {
    await assertAgrees({
      nodes: [node(op, ["a", "b", "c"], ["y"])],
      inputs: [floatInput("a", [2, 3], 9), floatInput("b", [3], 10), floatInput("c", [2, 1], 12)],
      outputs: ["y"],
    });
  }
});

Deno.test("ELEMENTWISE_OPS unary ops match onnxruntime", async (t) => {
  const ops: [string, number, number][] = [
    ["Neg", -2, 2],
    ["Abs", -2, 2],
    ["Sqrt", 0.01, 4],
    ["Exp", -3, 3],
    ["Log", 0.01, 5],
    ["Reciprocal", 0.2, 3],
    ["Sign", -2, 2],
    ["Floor", -3, 3],
    ["Ceil", -3, 3],
  ];
  for (const [op, lo, hi] of ops) {
    await t.step(op, async () => {
      await assertAgrees({
        nodes: [node(op, ["x"], ["y"])],
        inputs: [floatInput("x", [3, 4], 13, lo, hi)],
        outputs: ["y"],
      });
    });
    await t.step(`${op} folded on the host from a Constant`, async () => {
      await assertAgrees({
        nodes: [
          node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [4], 15, lo, hi))]),
          node(op, ["c"], ["u"]),
          node("Add", ["x", "u"], ["y"]),
        ],
        inputs: [floatInput("x", [2, 4], 14)],
        outputs: ["y"],
      });
    });
  }
});

Deno.test("ELEMENTWISE_OPS Sum and Mean of one input, and of host values, match onnxruntime", async () => {
  for (const op of ["Sum", "Mean"]) {
    await assertAgrees({
      nodes: [node(op, ["x"], ["y"])],
      inputs: [floatInput("x", [2, 3], 16)],
      outputs: ["y"],
    });
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [3], 17))]),
        node(op, ["c", "c", "c"], ["u"]),
        node("Add", ["x", "u"], ["y"]),
      ],
      inputs: [floatInput("x", [2, 3], 18)],
      outputs: ["y"],
    });
  }
});

/** Sign, Floor and Ceil have derivative 0: `h * op(0.01 h + o)` has derivative `op(0.01 h + o)`. */
const PIECEWISE_CONSTANT = ["Sign", "Floor", "Ceil"];

/**
 * `g = h * op(0.01 h + o)`, the op's input kept 0.2 or more from its jumps
 * (|0.01 h| < 0.2 with offsets o = ±0.5, ±1.5), where its derivative (0) is
 * defined and finite differences of the loss cross no jump.
 */
const piecewiseGraph = (op: string) =>
  sandwich([
    node("Mul", ["h", "small"], ["hs"]),
    node("Add", ["hs", "o"], ["u"]),
    node(op, ["u"], ["s"]),
    node("Mul", ["h", "s"], ["g"]),
  ], {
    initializers: [
      { name: "small", dims: [], data: [0.01] },
      { name: "o", dims: [4], data: [0.5, -0.5, 1.5, -1.5] },
    ],
  });

const VARIADIC_GRAPHS = (op: string) =>
  sandwich([node("Mul", ["h", "h"], ["hh"]), node(op, ["h", "hh", "c"], ["g"])], {
    initializers: [floatInput("c", [4], 19)],
  });

Deno.test("ELEMENTWISE_OPS gradients of Sign, Floor, Ceil, Sum and Mean match float64 central differences", async (t) => {
  for (const op of PIECEWISE_CONSTANT) {
    await t.step(op, async () => {
      await assertGradientsMatch(piecewiseGraph(op), 5);
    });
  }
  for (const op of ["Sum", "Mean"]) {
    await t.step(op, async () => {
      await assertGradientsMatch(VARIADIC_GRAPHS(op), 5);
    });
  }
});

Deno.test("ELEMENTWISE_OPS Sign, Floor, Ceil, Sum and Mean are twice differentiable", async (t) => {
  for (const op of PIECEWISE_CONSTANT) {
    await t.step(op, async () => {
      await assertSecondOrderOf(piecewiseGraph(op), "w1", 5);
    });
  }
  for (const op of ["Sum", "Mean"]) {
    await t.step(op, async () => {
      await assertSecondOrderOf(VARIADIC_GRAPHS(op), "w1", 5);
    });
  }
});

Deno.test("ELEMENTWISE_OPS Pow with a tensor exponent (a parameter) is twice differentiable, matching central differences", async () => {
  // x^e with both from the input path: tfjs's own exponent gradient uses where(x > 0), which a
  // second backward pass cannot differentiate.
  const graph = sandwich([
    node("Mul", ["h", "h"], ["hh"]),
    node("Add", ["hh", "half"], ["u"]),
    node("Pow", ["u", "e"], ["p"]),
    node("Pow", ["u", "h"], ["q"]),
    node("Add", ["p", "q"], ["g"]),
  ], {
    initializers: [{ name: "half", dims: [], data: [0.5] }, floatInput("e", [4], 20, 0.5, 2.5)],
  });
  await assertGradientsMatch(graph, 5);
  await assertSecondOrderOf(graph, "w1", 5);
  await assertSecondOrderOf(graph, "e", 5);
});
