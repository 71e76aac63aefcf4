import { assertAgrees, attr, floatInput, int64, node } from "../_tiny_graph.ts";

Deno.test("IDENTITY_OPS Identity and Dropout (inference, with mask) match onnxruntime", async () => {
  await assertAgrees({
    nodes: [
      node("Identity", ["x"], ["a"]),
      node("Dropout", ["a", "ratio"], ["y", "mask"]),
    ],
    inputs: [floatInput("x", [2, 3], 141)],
    initializers: [{ name: "ratio", dims: [], data: [0.3] }],
    outputs: ["y", { name: "mask", dataType: 9 }],
  });
});

Deno.test("IDENTITY_OPS Cast between float, double, int64 and bool matches onnxruntime", async (t) => {
  const x = floatInput("x", [2, 4], 142, -3, 3);
  for (const to of [1, 11, 7, 6, 9]) {
    await t.step(`float tensor to ${to}`, async () => {
      await assertAgrees({
        nodes: [node("Cast", ["x"], ["y"], [attr.int("to", to)])],
        inputs: [x],
        outputs: [{ name: "y", dataType: to }],
      });
    });
  }
  await t.step("bool tensor to float", async () => {
    await assertAgrees({
      nodes: [node("Cast", ["b"], ["y"], [attr.int("to", 1)])],
      inputs: [{ name: "b", dims: [3], data: [1, 0, 1], dataType: 9 }],
      outputs: ["y"],
    });
  });
  await t.step("host int64 to float and bool", async () => {
    await assertAgrees({
      nodes: [
        node("Cast", ["i"], ["f"], [attr.int("to", 1)]),
        node("Cast", ["i"], ["b"], [attr.int("to", 9)]),
      ],
      inputs: [],
      initializers: [int64("i", [0, 3, -2])],
      outputs: ["f", { name: "b", dataType: 9 }],
    });
  });
});
