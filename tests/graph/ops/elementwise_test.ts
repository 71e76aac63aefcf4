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

Deno.test("ELEMENTWISE_OPS Min and Max (variadic, broadcasting) match onnxruntime", async () => {
  for (const op of ["Min", "Max"]) {
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
    ["Sin", -4, 4],
    ["Cos", -4, 4],
    ["Reciprocal", 0.2, 3],
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
