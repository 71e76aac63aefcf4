import { assertGradientsMatch, assertSecondOrderOf, sandwich } from "../_gradients.ts";
import { assertAgrees, attr, floatInput, node } from "../_tiny_graph.ts";

/** Op, input range for values, range of the first weight (keeps `h` in the domain). */
const CASES: [string, number, number, [number, number]][] = [
  ["Sin", -4, 4, [-1, 1]],
  ["Cos", -4, 4, [-1, 1]],
  ["Tan", -1.4, 1.4, [-0.4, 0.4]],
  ["Asin", -0.99, 0.99, [-0.3, 0.3]],
  ["Acos", -0.99, 0.99, [-0.3, 0.3]],
  ["Atan", -6, 6, [-1.5, 1.5]],
  ["Sinh", -4, 4, [-1, 1]],
  ["Cosh", -4, 4, [-1, 1]],
];

Deno.test("TRIGONOMETRIC_OPS match onnxruntime on tensors and folded constants", async (t) => {
  for (const [op, lo, hi] of CASES) {
    await t.step(op, async () => {
      await assertAgrees({
        nodes: [node(op, ["x"], ["y"])],
        inputs: [floatInput("x", [4, 6], 631, lo, hi)],
        outputs: ["y"],
      });
      await assertAgrees({
        nodes: [
          node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [6], 632, lo, hi))]),
          node(op, ["c"], ["u"]),
          node("Add", ["x", "u"], ["y"]),
        ],
        inputs: [floatInput("x", [2, 6], 633)],
        outputs: ["y"],
      });
    });
  }
});

Deno.test("TRIGONOMETRIC_OPS gradients match float64 central differences", async (t) => {
  for (const [op, , , w1] of CASES) {
    await t.step(op, async () => {
      await assertGradientsMatch(sandwich([node(op, ["h"], ["g"])], { w1 }), 5);
    });
  }
});

Deno.test("TRIGONOMETRIC_OPS are twice differentiable", async (t) => {
  for (const [op, , , w1] of CASES) {
    await t.step(op, async () => {
      await assertSecondOrderOf(sandwich([node(op, ["h"], ["g"])], { w1 }), "w1", 5);
    });
  }
});
