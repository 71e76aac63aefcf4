import { assertAgrees, attr, floatInput, int64, node } from "../_tiny_graph.ts";

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
