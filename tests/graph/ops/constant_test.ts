import { assertThrows } from "../../_assert.ts";
import { compileGraph } from "../../../lib/graph/interpreter.ts";
import { assertAgrees, attr, floatInput, int64, node, tinyProto } from "../_tiny_graph.ts";

Deno.test("CONSTANT_OPS Constant matches onnxruntime for value, value_float(s), value_int(s)", async (t) => {
  const forms: [string, ReturnType<typeof attr.int>, number][] = [
    ["value (float tensor)", attr.tensor("value", floatInput("v", [2, 2], 131)), 1],
    ["value (int64 tensor)", attr.tensor("value", int64("v", [3, -1])), 7],
    ["value_float", attr.float("value_float", 2.5), 1],
    ["value_floats", attr.floats("value_floats", [1.5, -2, 0.25]), 1],
    ["value_int", attr.int("value_int", -4), 7],
    ["value_ints", attr.ints("value_ints", [1, 2, 3]), 7],
  ];
  for (const [label, a, dataType] of forms) {
    await t.step(label, async () => {
      await assertAgrees({
        nodes: [node("Constant", [], ["y"], [a])],
        inputs: [],
        outputs: [{ name: "y", dataType }],
      });
    });
  }
});

Deno.test("CONSTANT_OPS ConstantOfShape matches onnxruntime with the default and a given value", async () => {
  await assertAgrees({
    nodes: [
      node("Shape", ["x"], ["s"]),
      node("ConstantOfShape", ["s"], ["z"]),
      node("Add", ["x", "z"], ["y"]),
      node("ConstantOfShape", ["s"], ["k"], [attr.tensor("value", int64("v", [7], [1]))]),
    ],
    inputs: [floatInput("x", [2, 3], 132)],
    outputs: ["y", { name: "k", dataType: 7 }],
  });
});

Deno.test("CONSTANT_OPS Constant without a supported form fails at build time naming the node", () => {
  const proto = tinyProto({
    nodes: [
      node("Constant", [], ["y"], [{ name: "value_string", type: 3, s: new Uint8Array([65]) }]),
    ],
    inputs: [],
    outputs: ["y"],
  });
  assertThrows(() => compileGraph(proto.graph!, { opset: 17 }), TypeError, 'node "constant_y"');
});
