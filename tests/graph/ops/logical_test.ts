import { assertGradientsMatch, assertSecondOrderOf, sandwich } from "../_gradients.ts";
import { assertAgrees, attr, floatInput, int64, node } from "../_tiny_graph.ts";

const BOOL = 9;

Deno.test("LOGICAL_OPS comparisons match onnxruntime on tensors (broadcast) and host values", async (t) => {
  for (const op of ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]) {
    await t.step(`${op} on tensors`, async () => {
      // Rounded values so that equality occurs.
      const a = floatInput("a", [3, 4], 121, -2, 2);
      const b = floatInput("b", [4], 122, -2, 2);
      const round = (v: number[]) => v.map((x) => Math.round(x));
      await assertAgrees({
        nodes: [node(op, ["a", "b"], ["y"])],
        inputs: [{ ...a, data: round([...a.data]) }, { ...b, data: round([...b.data]) }],
        outputs: [{ name: "y", dataType: BOOL }],
      });
    });
    await t.step(`${op} on host ints`, async () => {
      await assertAgrees({
        nodes: [node(op, ["a", "b"], ["y"])],
        inputs: [],
        initializers: [int64("a", [1, 2, 3, 4]), int64("b", [3], [])],
        outputs: [{ name: "y", dataType: BOOL }],
      });
    });
  }
});

Deno.test("LOGICAL_OPS And, Or, Xor, Not and Where match onnxruntime", async (t) => {
  const p = { name: "p", dims: [2, 3], data: [1, 0, 1, 0, 0, 1], dataType: BOOL };
  const q = { name: "q", dims: [3], data: [1, 1, 0], dataType: BOOL };
  for (const op of ["And", "Or", "Xor"]) {
    await t.step(`${op} on tensors`, async () => {
      await assertAgrees({
        nodes: [node(op, ["p", "q"], ["y"])],
        inputs: [p, q],
        outputs: [{ name: "y", dataType: BOOL }],
      });
    });
    await t.step(`${op} on host values`, async () => {
      await assertAgrees({
        nodes: [node(op, ["p", "q"], ["y"])],
        inputs: [],
        initializers: [p, q],
        outputs: [{ name: "y", dataType: BOOL }],
      });
    });
  }
  await t.step("Not", async () => {
    await assertAgrees({
      nodes: [node("Not", ["p"], ["y"]), node("Not", ["q"], ["z"])],
      inputs: [p],
      initializers: [q],
      outputs: [{ name: "y", dataType: BOOL }, { name: "z", dataType: BOOL }],
    });
  });
  await t.step("Where with broadcasting (tensor condition, mixed branches)", async () => {
    await assertAgrees({
      nodes: [
        node("Greater", ["x", "zero"], ["c"]),
        node("Where", ["c", "x", "w"], ["y"]),
      ],
      inputs: [floatInput("x", [2, 3], 123)],
      initializers: [{ name: "zero", dims: [], data: [0] }, floatInput("w", [3], 124)],
      outputs: ["y"],
    });
  });
  await t.step("Where on host values", async () => {
    await assertAgrees({
      nodes: [node("Where", ["q", "a", "b"], ["y"])],
      inputs: [],
      initializers: [q, int64("a", [1, 2, 3]), int64("b", [7], [])],
      outputs: [{ name: "y", dataType: 7 }],
    });
  });
  await t.step("Where with a host condition and tensor branches", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", q)]),
        node("Where", ["c", "x", "w"], ["y"]),
      ],
      inputs: [floatInput("x", [2, 3], 125)],
      initializers: [floatInput("w", [2, 1], 126)],
      outputs: ["y"],
    });
  });
});

Deno.test("LOGICAL_OPS Where is twice differentiable (tfjs's own gradient applies LogicalNot), matching central differences", async () => {
  const graph = sandwich([
    node("Greater", ["h", "z"], ["c"]),
    node("Mul", ["h", "h"], ["hh"]),
    node("Where", ["c", "hh", "h"], ["g"]),
  ], { initializers: [{ name: "z", dims: [], data: [0] }], kinks: [0] });
  await assertGradientsMatch(graph, 5);
  await assertSecondOrderOf(graph, "w1", 5);
});
