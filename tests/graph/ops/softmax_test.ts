import { assertGradientsMatch, assertSecondOrderOf, sandwich } from "../_gradients.ts";
import { assertAgrees, attr, floatInput, node } from "../_tiny_graph.ts";

const OPS = ["Softmax", "LogSoftmax"];

Deno.test("SOFTMAX_OPS match onnxruntime along every axis, at opset 13+ and in the 2-D form of opset 11", async (t) => {
  for (const op of OPS) {
    const forms: [number, number][] = [[-1, 17], [1, 17], [0, 13], [1, 11], [2, 11], [-1, 11]];
    for (const [axis, opset] of forms) {
      await t.step(`${op} axis ${axis}, opset ${opset}`, async () => {
        await assertAgrees({
          nodes: [node(op, ["x"], ["y"], [attr.int("axis", axis)])],
          inputs: [floatInput("x", [2, 3, 4], 641, -8, 8)],
          outputs: ["y"],
          opset,
        });
      });
    }
    await t.step(`${op} default axis, opset 11, large inputs`, async () => {
      await assertAgrees({
        nodes: [node(op, ["x"], ["y"])],
        inputs: [floatInput("x", [3, 4], 642, -80, 80)],
        outputs: ["y"],
        opset: 11,
      });
    });
  }
});

Deno.test("SOFTMAX_OPS gradients match float64 central differences", async (t) => {
  for (const op of OPS) {
    await t.step(op, async () => {
      await assertGradientsMatch(sandwich([node(op, ["h"], ["g"])], { w1: [-2, 2] }), 5);
    });
  }
});

Deno.test("SOFTMAX_OPS are twice differentiable (tfjs's own softmax gradient is not)", async (t) => {
  for (const op of OPS) {
    await t.step(op, async () => {
      await assertSecondOrderOf(sandwich([node(op, ["h"], ["g"])], { w1: [-2, 2] }), "w1", 5);
    });
  }
});
