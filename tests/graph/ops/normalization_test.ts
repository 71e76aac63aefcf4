import { initTf } from "../../../lib/tf/backend.ts";
import { assertEquals } from "../../_assert.ts";
import {
  assertAgrees,
  assertTrainingModeRefused,
  attr,
  floatInput,
  node,
  type TinyGraph,
} from "../_tiny_graph.ts";

Deno.test("NORMALIZATION_OPS LayerNormalization matches onnxruntime (axis, epsilon, no bias, Mean/InvStdDev)", async (t) => {
  await t.step("last axis with bias", async () => {
    await assertAgrees({
      nodes: [node("LayerNormalization", ["x", "s", "b"], ["y"])],
      inputs: [floatInput("x", [3, 6], 81, -2, 3)],
      initializers: [floatInput("s", [6], 82), floatInput("b", [6], 83)],
      outputs: ["y"],
    });
  });
  await t.step("axis 1 of a 3-D input, epsilon 1e-3, no bias, extra outputs", async () => {
    await assertAgrees({
      nodes: [
        node("LayerNormalization", ["x", "s"], ["y", "mean", "inv"], [
          attr.int("axis", 1),
          attr.float("epsilon", 1e-3),
        ]),
      ],
      inputs: [floatInput("x", [2, 3, 4], 84)],
      initializers: [floatInput("s", [3, 4], 85)],
      outputs: ["y", "mean", "inv"],
    });
  });
});

Deno.test("NORMALIZATION_OPS BatchNormalization (inference) matches onnxruntime for 2-D and 3-D inputs", async () => {
  for (const dims of [[4, 3], [2, 3, 5]]) {
    await assertAgrees({
      nodes: [
        node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], [attr.float("epsilon", 1e-4)]),
      ],
      inputs: [floatInput("x", dims, 86)],
      initializers: [
        floatInput("s", [3], 87),
        floatInput("b", [3], 88),
        floatInput("m", [3], 89),
        floatInput("v", [3], 90, 0.5, 2),
      ],
      outputs: ["y"],
    });
  }
});

Deno.test("NORMALIZATION_OPS BatchNormalization in training mode is refused by the loader and the rebuild, naming the node", async (t) => {
  await initTf();
  const params = ["s", "b", "m", "v"].map((n, i) => floatInput(n, [3], 90 + i, 0.5, 1.5));
  const graph = (bn: TinyGraph["nodes"][number], opset = 17): TinyGraph => ({
    nodes: [bn],
    inputs: [{ name: "x", dims: [2, 3], data: [] }],
    initializers: params,
    outputs: [{ name: "y", dims: [2, 3] }],
    opset,
  });
  await t.step("training_mode=1 (opset 15+)", () => {
    const bn = {
      ...node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], [
        attr.int("training_mode", 1),
      ]),
      name: "/bn/BatchNormalization",
    };
    const error = assertTrainingModeRefused(
      graph(bn),
      '"/bn/BatchNormalization" (BatchNormalization)',
      "training_mode=1 (batch statistics) is not supported; export the model in inference mode (model.eval())",
    );
    assertEquals(error.nodeName, "/bn/BatchNormalization");
  });
  await t.step("running-statistics outputs (opset 9)", () => {
    const bn = {
      ...node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"]),
      name: "bn",
    };
    assertTrainingModeRefused(
      graph(bn, 9),
      '"bn" (BatchNormalization)',
      "outputs running statistics (training mode)",
    );
  });
});
