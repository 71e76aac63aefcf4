import { UnsupportedOpError } from "../../lib/graph/errors.ts";
import { SUPPORTED_OPS } from "../../lib/graph/ops/mod.ts";
import { buildTfModel } from "../../lib/graph/tf_model.ts";
import { replaceInitializers, toFloat64 } from "../../lib/onnx/model.ts";
import { createOrtRunner } from "../../lib/onnx/ort_runner.ts";
import { DataType } from "../../lib/onnx/tensor.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { assertAlmostEquals, assertEquals, assertInstanceOf, assertThrows } from "../_assert.ts";
import { attr, floatInput, node, seeded, type TinyGraph, tinyOnnxModel } from "./_tiny_graph.ts";

/** float32 rebuild vs onnxruntime float32, relative to max(1, |y|). */
const FORWARD_TOL = { float32: 2e-6 } as const;
/** float32 reverse-mode gradient vs float64 central differences, relative to max(1, max |g|). */
const GRADIENT_TOL = { float32: 1e-4 } as const;

const N = 5;
const MLP: TinyGraph = {
  nodes: [
    node("Gemm", ["x", "w1", "b1"], ["h"], [attr.int("transB", 1)]),
    node("Sigmoid", ["h"], ["s"]),
    node("Gemm", ["s", "w2", "b2"], ["y"]),
  ],
  inputs: [{ name: "x", dims: [N, 3], data: [] }],
  initializers: [
    floatInput("w1", [4, 3], 501),
    floatInput("b1", [4], 502),
    floatInput("w2", [4, 2], 503),
    floatInput("b2", [2], 504),
  ],
  outputs: [{ name: "y", dims: [N, 2] }],
};

Deno.test("buildTfModel() fails at build time with UnsupportedOpError naming op, node and opset", async () => {
  await initTf();
  const model = tinyOnnxModel({
    ...MLP,
    nodes: [...MLP.nodes.slice(0, 2), { ...node("Foo", ["s"], ["f"]), name: "bar" }, MLP.nodes[2]!],
  });
  const error = assertThrows(
    () => buildTfModel(model),
    UnsupportedOpError,
    'Cannot build the graph of tiny.onnx (opset 17): 1 op is not supported: "Foo" (node "bar"); supported: Abs, Acos, Add, ',
  );
  assertEquals([error.opType, error.nodeName, error.opset], ["Foo", "bar", 17]);
  const quick = tinyOnnxModel({
    ...MLP,
    nodes: [
      MLP.nodes[0]!,
      { ...node("QuickGelu", ["h"], ["s"]), domain: "com.microsoft" },
      MLP.nodes[2]!,
    ],
  });
  const e2 = assertThrows(() => buildTfModel(quick), UnsupportedOpError, 'domain "com.microsoft"');
  assertInstanceOf(e2, UnsupportedOpError);
  assertEquals(e2.opType, "QuickGelu");
});

Deno.test("buildTfModel() names every unsupported op in one UnsupportedOpError: type, a node, count, opset, file", async () => {
  await initTf();
  const model = tinyOnnxModel({
    ...MLP,
    nodes: [
      MLP.nodes[0]!,
      { ...node("Foo", ["h"], ["f1"]), name: "/a/Foo" },
      { ...node("Bar", ["f1"], ["r1"]), name: "/a/Bar" },
      { ...node("Foo", ["r1"], ["f2"]), name: "/b/Foo" },
      { ...node("Foo", ["f2"], ["s"]), name: "" },
      MLP.nodes[2]!,
    ],
  });
  const error = assertThrows(
    () => buildTfModel(model),
    UnsupportedOpError,
    'Cannot build the graph of tiny.onnx (opset 17): 2 ops are not supported: "Foo" (3 nodes, e.g. "/a/Foo"), "Bar" (node "/a/Bar"); supported: ',
  );
  assertEquals(error.ops, [
    { opType: "Foo", domain: "", nodeName: "/a/Foo", count: 3 },
    { opType: "Bar", domain: "", nodeName: "/a/Bar", count: 1 },
  ]);
  assertEquals([error.source, error.opType, error.nodeName], ["tiny.onnx", "Foo", "/a/Foo"]);
});

Deno.test("SUPPORTED_OPS lists every op of the brief and of MLP and KAN exports, sorted", () => {
  const required = [
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Neg",
    "Sqrt",
    "Exp",
    "Log",
    "Abs",
    "Sin",
    "Cos",
    "Reciprocal",
    "Min",
    "Max",
    "Clip",
    "Relu",
    "LeakyRelu",
    "Elu",
    "Selu",
    "Sigmoid",
    "HardSigmoid",
    "Tanh",
    "Softplus",
    "Softsign",
    "Erf",
    "LayerNormalization",
    "BatchNormalization",
    "ReduceMean",
    "ReduceSum",
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Reshape",
    "Flatten",
    "Concat",
    "Slice",
    "Expand",
    "Transpose",
    "ConstantOfShape",
    "Range",
    "Constant",
    "Identity",
    "Dropout",
    "Cast",
    "Where",
    "Equal",
    "Less",
    "LessOrEqual",
    "Greater",
    "GreaterOrEqual",
    "And",
    "Or",
    "Not",
    // Added for plain PyTorch exports of MLPs and KANs (ChebyKAN: Acos, Einsum; …).
    "Acos",
    "Asin",
    "Atan",
    "Sinh",
    "Cosh",
    "Tan",
    "Sign",
    "Floor",
    "Ceil",
    "Einsum",
    "Softmax",
    "LogSoftmax",
    "PRelu",
    "Sum",
    "Mean",
    "Tile",
    "Split",
    "CumSum",
    "Celu",
    "HardSwish",
    "Mish",
    "ThresholdedRelu",
    "Conv",
  ];
  for (const op of required) assertEquals(SUPPORTED_OPS.includes(op), true, op);
  assertEquals([...SUPPORTED_OPS], [...SUPPORTED_OPS].sort());
});

Deno.test("TfModel.apply() matches onnxruntime, refuses a wrong width, and leaks no tensors", async () => {
  await initTf();
  const model = tinyOnnxModel(MLP);
  const tfModel = buildTfModel(model);
  const runner = await createOrtRunner(model);
  try {
    assertEquals([tfModel.inputWidth, tfModel.outputWidth], [3, 2]);
    assertEquals([...tfModel.parameters.keys()], ["w1", "b1", "w2", "b2"]);
    // Any batch size, not only the declared one.
    const x = Float64Array.from(seeded(7 * 3, 21));
    const before = tf.memory().numTensors;
    const yt = tfModel.apply(tf.tensor2d(Float32Array.from(x), [7, 3]));
    assertEquals(yt.shape, [7, 2]);
    const y = yt.dataSync();
    tf.dispose(yt);
    // the input tensor is the only one left
    assertEquals(tf.memory().numTensors, before + 1);
    const ref = await runner.run(x, 7);
    ref.forEach((v, i) =>
      assertAlmostEquals(y[i]!, v, FORWARD_TOL.float32 * Math.max(1, Math.abs(v)))
    );
    tf.tidy(() => {
      assertThrows(() => tfModel.apply(tf.zeros([2, 4]) as tf.Tensor2D), TypeError, "[N, 3]");
    });
  } finally {
    tfModel.dispose();
    await runner.release();
  }
  assertEquals(tfModel.parameters.get("w1")!.isDisposed, true);
});

Deno.test("buildTfModel() options.parameters gives the same outputs as replaceInitializers() in onnxruntime", async () => {
  await initTf();
  const model = tinyOnnxModel(MLP);
  const w1 = {
    dims: [4, 3],
    dataType: DataType.DOUBLE,
    data: Float64Array.from(seeded(12, 99, -2, 2)),
  };
  const params = new Map([["w1", w1]]);
  const tfModel = buildTfModel(model, { parameters: params });
  const runner = await createOrtRunner(replaceInitializers(model, params));
  try {
    const x = Float64Array.from(seeded(N * 3, 22));
    const y = tf.tidy(() => tfModel.apply(tf.tensor2d(Float32Array.from(x), [N, 3])).dataSync());
    const ref = await runner.run(x, N);
    ref.forEach((v, i) =>
      assertAlmostEquals(y[i]!, v, FORWARD_TOL.float32 * Math.max(1, Math.abs(v)))
    );
    const bad = new Map([["w1", { ...w1, dims: [3, 4] }]]);
    assertThrows(
      () => buildTfModel(model, { parameters: bad }),
      RangeError,
      '"w1" has shape [4, 3]',
    );
  } finally {
    tfModel.dispose();
    await runner.release();
  }
});

Deno.test("TfModel.apply() overrides carry gradients to parameters (vs float64 central differences in onnxruntime)", async () => {
  await initTf();
  const model = tinyOnnxModel(MLP);
  const tfModel = buildTfModel(model);
  const x = Float64Array.from(seeded(N * 3, 23));
  const w2 = Float64Array.from(model.initializers.get("w2")!.data as Float32Array);
  try {
    // d sum(y) / d w2 by autodiff through an override.
    const grad = tf.tidy(() => {
      const xt = tf.tensor2d(Float32Array.from(x), [N, 3]);
      const v = tf.tensor(Float32Array.from(w2), [4, 2]);
      return tf.grad((w: tf.Tensor) => tf.sum(tfModel.apply(xt, new Map([["w2", w]]))))(v)
        .dataSync();
    });
    // The same by central differences of the float64 onnxruntime graph with w2 replaced.
    // Replace in the float64 copy: a float32 initializer would round w2 +- h.
    const f64 = toFloat64(model);
    const h = 1e-6;
    const sumAt = async (w: Float64Array) => {
      const edited = replaceInitializers(
        f64,
        new Map([["w2", { dims: [4, 2], dataType: DataType.DOUBLE, data: w }]]),
      );
      const runner = await createOrtRunner(edited, { dtype: "float64" });
      const y = await runner.run(x, N);
      await runner.release();
      return y.reduce((a, b) => a + b, 0);
    };
    for (let i = 0; i < w2.length; i++) {
      const plus = w2.slice();
      const minus = w2.slice();
      plus[i] = w2[i]! + h;
      minus[i] = w2[i]! - h;
      const fd = ((await sumAt(plus)) - (await sumAt(minus))) / (2 * h);
      assertAlmostEquals(
        grad[i]!,
        fd,
        GRADIENT_TOL.float32 * Math.max(1, Math.abs(fd)),
        `w2[${i}]`,
      );
    }
    tf.tidy(() => {
      const xt = tf.tensor2d(Float32Array.from(x), [N, 3]);
      assertThrows(
        () => tfModel.apply(xt, new Map([["nope", tf.zeros([1])]])),
        RangeError,
        '"nope"',
      );
      assertThrows(
        () => tfModel.apply(xt, new Map([["w2", tf.zeros([2, 4])]])),
        RangeError,
        "[4, 2]",
      );
    });
  } finally {
    tfModel.dispose();
  }
});
