import { assertGradientsMatch, assertSecondOrderOf, sandwich } from "../_gradients.ts";
import { assertAgrees, attr, floatInput, int64, node } from "../_tiny_graph.ts";

Deno.test("SPLIT_OPS Split matches onnxruntime: sizes as input (13+), attribute (11), equal parts, num_outputs (18)", async (t) => {
  const x = floatInput("x", [2, 6, 3], 671);
  await t.step("split input, axis 1, opset 13", async () => {
    await assertAgrees({
      nodes: [node("Split", ["x", "s"], ["a", "b", "c"], [attr.int("axis", 1)])],
      inputs: [x],
      initializers: [int64("s", [1, 3, 2])],
      outputs: ["a", "b", "c"],
      opset: 13,
    });
  });
  await t.step("split attribute, axis -1, opset 11", async () => {
    await assertAgrees({
      nodes: [node("Split", ["x"], ["a", "b"], [attr.int("axis", -1), attr.ints("split", [2, 1])])],
      inputs: [x],
      outputs: ["a", "b"],
      opset: 11,
    });
  });
  await t.step("equal parts, default axis 0", async () => {
    await assertAgrees({
      nodes: [node("Split", ["x"], ["a", "b"])],
      inputs: [x],
      outputs: ["a", "b"],
    });
  });
  await t.step("num_outputs 4 of 6 (last part smaller), opset 18", async () => {
    await assertAgrees({
      nodes: [
        node("Split", ["x"], ["a", "b", "c"], [attr.int("axis", 1), attr.int("num_outputs", 3)]),
      ],
      inputs: [floatInput("x", [2, 7, 3], 672)],
      outputs: ["a", "b", "c"],
      opset: 18,
    });
  });
  await t.step("a host value (folded), then used with a tensor", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [4, 3], 673))]),
        node("Split", ["c", "s"], ["p", "q"]),
        node("Mul", ["x", "q"], ["y"]),
      ],
      inputs: [floatInput("x", [3, 3], 674)],
      initializers: [int64("s", [1, 3])],
      outputs: ["y"],
    });
  });
});

Deno.test("SPLIT_OPS Split gradients match float64 central differences and are twice differentiable", async () => {
  const graph = sandwich([
    node("Split", ["h", "s"], ["a", "b"], [attr.int("axis", 1)]),
    node("Mul", ["a", "a"], ["aa"]),
    node("Concat", ["b", "aa", "b"], ["g"], [attr.int("axis", 1)]),
  ], { width: 7, initializers: [int64("s", [1, 3])] });
  await assertGradientsMatch(graph, 5);
  await assertSecondOrderOf(graph, "w1", 5);
});
