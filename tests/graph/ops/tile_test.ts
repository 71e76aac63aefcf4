import { assertGradientsMatch, assertSecondOrderOf, sandwich } from "../_gradients.ts";
import { assertAgrees, attr, floatInput, int64, node } from "../_tiny_graph.ts";

Deno.test("TILE_OPS Tile matches onnxruntime on tensors, host values and a rank-5 tensor", async (t) => {
  for (const repeats of [[1, 1, 1], [2, 1, 3], [1, 3, 1]]) {
    await t.step(`tensor, repeats ${repeats}`, async () => {
      await assertAgrees({
        nodes: [node("Tile", ["x", "r"], ["y"])],
        inputs: [floatInput("x", [2, 3, 2], 661)],
        initializers: [int64("r", repeats)],
        outputs: ["y"],
      });
    });
  }
  await t.step("rank 5", async () => {
    await assertAgrees({
      nodes: [node("Tile", ["x", "r"], ["y"])],
      inputs: [floatInput("x", [1, 2, 1, 2, 3], 662)],
      initializers: [int64("r", [2, 1, 3, 1, 2])],
      outputs: ["y"],
    });
  });
  await t.step("host value (folded), then added to a tensor", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [1, 3], 663))]),
        node("Tile", ["c", "r"], ["u"]),
        node("Add", ["x", "u"], ["y"]),
      ],
      inputs: [floatInput("x", [2, 6], 664)],
      initializers: [int64("r", [2, 2])],
      outputs: ["y"],
    });
  });
});

Deno.test("TILE_OPS Tile gradients match float64 central differences at rank 2 and 5, and are twice differentiable", async (t) => {
  const cases = {
    "rank 2": sandwich([node("Tile", ["h", "r"], ["g"])], {
      width: 12,
      initializers: [int64("r", [1, 3])],
    }),
    "rank 5 (tfjs's own Tile gradient stops at rank 4)": sandwich([
      node("Reshape", ["h", "s5"], ["h5"]),
      node("Tile", ["h5", "r"], ["t"]),
      node("Reshape", ["t", "s2"], ["g"]),
    ], {
      width: 16,
      initializers: [
        int64("s5", [5, 1, 2, 1, 2]),
        int64("r", [1, 2, 1, 2, 1]),
        int64("s2", [5, 16]),
      ],
    }),
  };
  for (const [label, graph] of Object.entries(cases)) {
    await t.step(label, async () => {
      await assertGradientsMatch(graph, 5);
      await assertSecondOrderOf(graph, "w1", 5);
    });
  }
});
