import { assertGradientsMatch, assertSecondOrderOf, sandwich } from "../_gradients.ts";
import { assertAgrees, attr, floatInput, int64, node } from "../_tiny_graph.ts";

const VARIANTS: [string, ReturnType<typeof attr.int>[]][] = [
  ["plain", []],
  ["exclusive", [attr.int("exclusive", 1)]],
  ["reverse", [attr.int("reverse", 1)]],
  ["exclusive reverse", [attr.int("exclusive", 1), attr.int("reverse", 1)]],
];

Deno.test("CUMSUM_OPS CumSum matches onnxruntime (axes, exclusive, reverse)", async (t) => {
  for (const [label, attrs] of VARIANTS) {
    for (const axis of [0, 1, -1]) {
      await t.step(`${label}, axis ${axis}`, async () => {
        await assertAgrees({
          nodes: [node("CumSum", ["x", "a"], ["y"], attrs)],
          inputs: [floatInput("x", [2, 3, 4], 651)],
          initializers: [int64("a", [axis], [])],
          outputs: ["y"],
        });
      });
    }
  }
});

const graph = (attrs: ReturnType<typeof attr.int>[]) =>
  sandwich([node("Mul", ["h", "h"], ["hh"]), node("CumSum", ["hh", "a"], ["g"], attrs)], {
    initializers: [int64("a", [1], [])],
  });

Deno.test("CUMSUM_OPS CumSum gradients match float64 central differences and are twice differentiable", async (t) => {
  for (const [label, attrs] of VARIANTS) {
    await t.step(label, async () => {
      await assertGradientsMatch(graph(attrs), 5);
      await assertSecondOrderOf(graph(attrs), "w1", 5);
    });
  }
});
