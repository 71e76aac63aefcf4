import { assertAgrees, attr, floatInput, node } from "../_tiny_graph.ts";

Deno.test("ACTIVATION_OPS match onnxruntime with default and explicit attributes", async (t) => {
  const cases: [string, ReturnType<typeof attr.float>[]][] = [
    ["Relu", []],
    ["Sigmoid", []],
    ["Tanh", []],
    ["Softplus", []],
    ["Softsign", []],
    ["Erf", []],
    ["LeakyRelu", []],
    ["LeakyRelu", [attr.float("alpha", 0.3)]],
    ["Elu", []],
    ["Elu", [attr.float("alpha", 0.7)]],
    ["Selu", []],
    ["Selu", [attr.float("alpha", 1.2), attr.float("gamma", 0.9)]],
    ["HardSigmoid", []],
    ["HardSigmoid", [attr.float("alpha", 0.4), attr.float("beta", 0.3)]],
  ];
  for (const [op, attrs] of cases) {
    await t.step(`${op} ${attrs.map((a) => `${a.name}=${a.f}`).join(" ")}`, async () => {
      await assertAgrees({
        nodes: [node(op, ["x"], ["y"], attrs)],
        inputs: [floatInput("x", [4, 5], 21, -4, 4)],
        outputs: ["y"],
      });
    });
  }
});

Deno.test("ACTIVATION_OPS Erf and Sigmoid folded on the host match onnxruntime", async () => {
  for (const op of ["Erf", "Sigmoid", "Tanh", "Softplus", "Softsign", "Relu"]) {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [6], 22, -3.5, 3.5))]),
        node(op, ["c"], ["u"]),
        node("Add", ["x", "u"], ["y"]),
      ],
      inputs: [floatInput("x", [2, 6], 23)],
      outputs: ["y"],
    });
  }
});

Deno.test("ACTIVATION_OPS Clip matches onnxruntime in the attribute form (opset 6) and input forms", async (t) => {
  const x = floatInput("x", [3, 4], 24, -3, 3);
  await t.step("attributes min/max, opset 6", async () => {
    await assertAgrees({
      nodes: [node("Clip", ["x"], ["y"], [attr.float("min", -1), attr.float("max", 0.5)])],
      inputs: [x],
      outputs: ["y"],
      opset: 6,
    });
  });
  await t.step("inputs min and max", async () => {
    await assertAgrees({
      nodes: [node("Clip", ["x", "lo", "hi"], ["y"])],
      inputs: [x],
      initializers: [{ name: "lo", dims: [], data: [-0.5] }, { name: "hi", dims: [], data: [1.5] }],
      outputs: ["y"],
    });
  });
  await t.step("only max (min omitted)", async () => {
    await assertAgrees({
      nodes: [node("Clip", ["x", "", "hi"], ["y"])],
      inputs: [x],
      initializers: [{ name: "hi", dims: [], data: [0.25] }],
      outputs: ["y"],
    });
  });
  await t.step("min and max from Constants (host)", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["lo"], [attr.float("value_float", -2)]),
        node("Constant", [], ["hi"], [attr.float("value_float", 2)]),
        node("Clip", ["x", "lo", "hi"], ["y"]),
      ],
      inputs: [x],
      outputs: ["y"],
    });
  });
});
