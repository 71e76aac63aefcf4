import { buildTfModel } from "../../../lib/graph/tf_model.ts";
import { initTf } from "../../../lib/tf/backend.ts";
import { assertEquals } from "../../_assert.ts";
import { assertGradientsMatch, assertSecondOrderOf, sandwich } from "../_gradients.ts";
import {
  assertAgrees,
  attr,
  autodiffJacobian,
  floatInput,
  int64,
  node,
  tinyOnnxModel,
} from "../_tiny_graph.ts";

Deno.test("REDUCE_OPS ReduceMax/ReduceMin match onnxruntime (axes, keepdims, all axes)", async (t) => {
  const x = floatInput("x", [2, 3, 4], 92);
  for (const op of ["ReduceMax", "ReduceMin"]) {
    for (const [axes, keep] of [[[1], 1], [[-1, 0], 0], [undefined, 1]] as const) {
      await t.step(`${op} axes ${axes ?? "all"}, keepdims ${keep}`, async () => {
        await assertAgrees({
          nodes: [
            node(op, ["x"], ["y"], [
              ...(axes ? [attr.ints("axes", [...axes])] : []),
              attr.int("keepdims", keep),
            ]),
          ],
          inputs: [x],
          outputs: ["y"],
        });
      });
    }
  }
});

Deno.test("REDUCE_OPS ReduceMean/ReduceSum match onnxruntime with axes as attribute (old opsets) and input (new)", async (t) => {
  const x = floatInput("x", [2, 3, 4], 91);
  for (const keep of [0, 1]) {
    await t.step(`ReduceMean axes attribute, opset 17, keepdims ${keep}`, async () => {
      await assertAgrees({
        nodes: [
          node("ReduceMean", ["x"], ["y"], [
            attr.ints("axes", [-1, 1]),
            attr.int("keepdims", keep),
          ]),
        ],
        inputs: [x],
        outputs: ["y"],
      });
    });
    await t.step(`ReduceSum axes attribute, opset 12, keepdims ${keep}`, async () => {
      await assertAgrees({
        nodes: [
          node("ReduceSum", ["x"], ["y"], [attr.ints("axes", [0]), attr.int("keepdims", keep)]),
        ],
        inputs: [x],
        outputs: ["y"],
        opset: 12,
      });
    });
    await t.step(`ReduceSum axes input, opset 13, keepdims ${keep}`, async () => {
      await assertAgrees({
        nodes: [node("ReduceSum", ["x", "axes"], ["y"], [attr.int("keepdims", keep)])],
        inputs: [x],
        initializers: [int64("axes", [2, 0])],
        outputs: ["y"],
      });
    });
    await t.step(`ReduceMean axes input, opset 18, keepdims ${keep}`, async () => {
      await assertAgrees({
        nodes: [node("ReduceMean", ["x", "axes"], ["y"], [attr.int("keepdims", keep)])],
        inputs: [x],
        initializers: [int64("axes", [1])],
        outputs: ["y"],
        opset: 18,
      });
    });
  }
  await t.step("no axes reduces everything", async () => {
    await assertAgrees({ nodes: [node("ReduceSum", ["x"], ["y"])], inputs: [x], outputs: ["y"] });
  });
  await t.step("empty axes with noop_with_empty_axes=1 is the identity", async () => {
    await assertAgrees({
      nodes: [node("ReduceSum", ["x", "axes"], ["y"], [attr.int("noop_with_empty_axes", 1)])],
      inputs: [x],
      initializers: [int64("axes", [])],
      outputs: ["y"],
    });
  });
  await t.step("ReduceMax and ReduceMin", async () => {
    for (const op of ["ReduceMax", "ReduceMin"]) {
      await assertAgrees({
        nodes: [node(op, ["x"], ["y"], [attr.ints("axes", [1])])],
        inputs: [x],
        outputs: ["y"],
      });
    }
  });
});

/**
 * `g = h * reduce(h² + o)`: offsets o = 0, 5, 10, 20 keep the extreme entry of
 * each row the same (|h| < 3), so the loss is smooth where it is checked.
 */
const extremumGraph = (op: string) =>
  sandwich([
    node("Mul", ["h", "h"], ["hh"]),
    node("Add", ["hh", "o"], ["u"]),
    node(op, ["u"], ["r"], [attr.ints("axes", [1]), attr.int("keepdims", 1)]),
    node("Mul", ["h", "r"], ["g"]),
  ], { initializers: [{ name: "o", dims: [4], data: [0, 5, 10, 20] }] });

Deno.test("REDUCE_OPS ReduceMax/ReduceMin/ReduceMean gradients match float64 central differences and are twice differentiable", async (t) => {
  for (const op of ["ReduceMax", "ReduceMin", "ReduceMean"]) {
    await t.step(op, async () => {
      await assertGradientsMatch(extremumGraph(op), 5);
      await assertSecondOrderOf(extremumGraph(op), "w1", 5);
    });
  }
});

Deno.test("REDUCE_OPS ReduceMax shares the gradient evenly between ties, as PyTorch's amax", async () => {
  await initTf();
  const model = buildTfModel(tinyOnnxModel({
    nodes: [node("ReduceMax", ["x"], ["y"], [attr.ints("axes", [1]), attr.int("keepdims", 1)])],
    inputs: [{ name: "x", dims: [1, 4], data: [] }],
    outputs: [{ name: "y", dims: [1, 1] }],
  }));
  try {
    // torch.amax(torch.tensor([[1., 3., 3., 0.]], requires_grad=True), 1) backward: [0, .5, .5, 0].
    const jac = await autodiffJacobian(model, Float64Array.of(1, 3, 3, 0), 1);
    assertEquals(jac[0]![0], [0, 0.5, 0.5, 0]);
  } finally {
    model.dispose();
  }
});
