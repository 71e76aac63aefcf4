import { checkInferenceMode } from "../../../lib/onnx/training_mode.ts";
import { initTf } from "../../../lib/tf/backend.ts";
import { assertEquals } from "../../_assert.ts";
import {
  assertAgrees,
  assertTrainingModeRefused,
  attr,
  floatInput,
  int64,
  node,
  type TinyGraph,
  tinyProto,
} from "../_tiny_graph.ts";

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

Deno.test("IDENTITY_OPS Dropout in training mode is refused by the loader and the rebuild, naming the node", async (t) => {
  await initTf();
  const graph = (
    nodes: TinyGraph["nodes"],
    initializers: TinyGraph["initializers"] = [],
    opset = 17,
  ): TinyGraph => ({
    nodes: [...nodes, node("Gemm", ["d", "w"], ["y"])],
    inputs: [{ name: "x", dims: [2, 3], data: [] }],
    initializers: [...initializers, floatInput("w", [3, 2], 143)],
    outputs: [{ name: "y", dims: [2, 2] }],
    opset,
  });
  const ratio = node("Constant", [], ["r"], [attr.float("value_float", 0.5)]);
  const trueTensor = { name: "", dims: [], data: [1], dataType: 9 };
  await t.step("training_mode a true Constant, ratio 0.5", () => {
    const error = assertTrainingModeRefused(
      graph([
        ratio,
        node("Constant", [], ["t"], [attr.tensor("value", trueTensor)]),
        { ...node("Dropout", ["x", "r", "t"], ["d"]), name: "/drop/Dropout" },
      ]),
      '"/drop/Dropout" (Dropout)',
      "training_mode is true (random dropout with ratio 0.5) is not supported; export the model in inference mode",
    );
    assertEquals([error.opType, error.nodeName], ["Dropout", "/drop/Dropout"]);
  });
  await t.step("training_mode a true initializer, default ratio", () => {
    assertTrainingModeRefused(
      graph(
        [{ ...node("Dropout", ["x", "", "t"], ["d"]), name: "drop" }],
        [{ name: "t", dims: [], data: [1], dataType: 9 }],
      ),
      '"drop" (Dropout)',
      "training_mode is true (random dropout with ratio 0.5)",
    );
  });
  await t.step("training_mode a Cast of a non-zero float Constant", () => {
    assertTrainingModeRefused(
      graph([
        ratio,
        node("Constant", [], ["f"], [attr.float("value_float", 2)]),
        node("Cast", ["f"], ["t"], [attr.int("to", 9)]),
        { ...node("Dropout", ["x", "r", "t"], ["d"]), name: "drop" },
      ]),
      '"drop" (Dropout)',
      "training_mode is true (random dropout with ratio 0.5)",
    );
  });
  await t.step("training_mode computed from the input", () => {
    assertTrainingModeRefused(
      graph([
        node("ReduceMax", ["x"], ["m"], [attr.int("keepdims", 0)]),
        node("Cast", ["m"], ["t"], [attr.int("to", 9)]),
        { ...node("Dropout", ["x", "", "t"], ["d"]), name: "drop" },
      ]),
      '"drop" (Dropout)',
      "training_mode is not a constant, so it may be true",
    );
  });
  await t.step("opset 6 without is_test (training by default)", () => {
    assertTrainingModeRefused(
      graph([{ ...node("Dropout", ["x"], ["d"]), name: "drop" }], [], 6),
      '"drop" (Dropout)',
      "is_test is 0 (training mode: random dropout) is not supported",
    );
  });
});

Deno.test("IDENTITY_OPS Dropout in inference mode (training_mode false or ratio 0) loads and is the identity, as in onnxruntime", async (t) => {
  const cases: [string, TinyGraph][] = [
    ["training_mode a Cast of a 0 Constant", {
      nodes: [
        node("Constant", [], ["f"], [attr.float("value_float", 0)]),
        node("Cast", ["f"], ["t"], [attr.int("to", 9)]),
        node("Dropout", ["x", "r", "t"], ["y", "mask"]),
      ],
      inputs: [floatInput("x", [2, 3], 145)],
      initializers: [{ name: "r", dims: [], data: [0.5] }],
      outputs: ["y", { name: "mask", dataType: 9 }],
    }],
    ["training_mode true, ratio 0", {
      nodes: [node("Dropout", ["x", "r", "t"], ["y", "mask"])],
      inputs: [floatInput("x", [2, 3], 144)],
      initializers: [
        { name: "r", dims: [], data: [0] },
        { name: "t", dims: [], data: [1], dataType: 9 },
      ],
      outputs: ["y", { name: "mask", dataType: 9 }],
    }],
  ];
  for (const [name, g] of cases) {
    await t.step(name, async () => {
      checkInferenceMode(tinyProto(g).graph!, 17, "tiny.onnx");
      await assertAgrees(g);
    });
  }
});
