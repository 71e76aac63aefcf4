import onnxProto from "onnx-proto";
import {
  decodeOnnxModel,
  encodeOnnxModel,
  loadOnnxModel,
  replaceInitializers,
  toFloat64,
} from "../../lib/onnx/model.ts";
import { createOrtRunner } from "../../lib/onnx/ort_runner.ts";
import { DataType } from "../../lib/onnx/tensor.ts";
import { assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import {
  attr,
  buildTinyModel,
  floatInput,
  node,
  seeded,
  type TinyGraph,
} from "../graph/_tiny_graph.ts";

/** float32 vs float64 evaluation of the same small graph, relative to max(1, |y|). */
const FLOAT32_VS_FLOAT64_TOL = 1e-6;

const AFFINE: TinyGraph = {
  nodes: [
    node("Constant", [], ["half"], [attr.float("value_float", 0.5)]),
    node("Gemm", ["x", "w", "b"], ["h"]),
    node("Mul", ["h", "half"], ["hm"]),
    node("Cast", ["hm"], ["hc"], [attr.int("to", DataType.FLOAT)]),
    node("Sigmoid", ["hc"], ["y"]),
  ],
  inputs: [{ name: "x", dims: [5, 3], data: [] }],
  initializers: [floatInput("w", [3, 2], 301), floatInput("b", [2], 302)],
  outputs: [{ name: "y", dims: [5, 2] }],
};

function values(t: { data: ArrayLike<number | bigint> }): number[] {
  return Array.from(t.data, Number);
}

function protoWith(edit: (m: onnxProto.onnx.IModelProto) => void): Uint8Array {
  const m = onnxProto.onnx.ModelProto.decode(buildTinyModel(AFFINE));
  edit(m);
  return onnxProto.onnx.ModelProto.encode(m).finish();
}

Deno.test("decodeOnnxModel() reads ports, opset, producer and decodes initializers from raw and typed fields", () => {
  const bytes = protoWith((m) => {
    m.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = { dimParam: "batch" };
    m.graph!.initializer!.push(
      { name: "typed_f", dims: [2], dataType: DataType.FLOAT, floatData: [1.5, -2] },
      { name: "typed_i64", dims: [3], dataType: DataType.INT64, int64Data: [7, -1, 2] },
      { name: "typed_d", dims: [1], dataType: DataType.DOUBLE, doubleData: [0.1] },
    );
  });
  const model = decodeOnnxModel(bytes, "affine.onnx");
  assertEquals(model.opset, 17);
  assertEquals(model.producer, "partials-tests");
  assertEquals(model.input, { name: "x", width: 3, batch: null, elemType: DataType.FLOAT });
  assertEquals(model.output, { name: "y", width: 2, batch: 5, elemType: DataType.FLOAT });
  const w = model.initializers.get("w")!;
  assertEquals(w.dims, [3, 2]);
  assertEquals(values(w), Array.from(Float32Array.from(floatInput("w", [3, 2], 301).data)));
  assertEquals(values(model.initializers.get("typed_f")!), [1.5, -2]);
  assertEquals(values(model.initializers.get("typed_i64")!), [7, -1, 2]);
  assertEquals(values(model.initializers.get("typed_d")!), [0.1]);
});

Deno.test("decodeOnnxModel() rejects truncated and garbage bytes with a SyntaxError naming the source", () => {
  const bytes = buildTinyModel(AFFINE);
  for (const cut of [bytes.length - 7, Math.floor(bytes.length / 2), 3]) {
    assertThrows(() => decodeOnnxModel(bytes.slice(0, cut), "cut.onnx"), SyntaxError, "cut.onnx");
  }
  const garbage = Uint8Array.from(seeded(256, 5, 0, 256).map(Math.floor));
  assertThrows(() => decodeOnnxModel(garbage, "garbage.bin"), SyntaxError, "garbage.bin");
  assertThrows(() => decodeOnnxModel(new Uint8Array(), "empty.onnx"), SyntaxError, "empty.onnx");
});

Deno.test("decodeOnnxModel() refuses graphs without exactly one 2-D float input and one 2-D output", () => {
  const twoInputs = protoWith((m) => {
    m.graph!.input!.push({ ...m.graph!.input![0]!, name: "x2" });
  });
  assertThrows(() => decodeOnnxModel(twoInputs, "two.onnx"), TypeError, "found 2 input(s) (x, x2)");
  const threeD = protoWith((m) => {
    m.graph!.output![0]!.type!.tensorType!.shape!.dim!.push({ dimValue: 1 });
  });
  assertThrows(() => decodeOnnxModel(threeD, "3d.onnx"), TypeError, 'output "y" must be 2-D');
  const intInput = protoWith((m) => {
    m.graph!.input![0]!.type!.tensorType!.elemType = DataType.INT64;
  });
  assertThrows(() => decodeOnnxModel(intInput, "int.onnx"), TypeError, 'input "x" is int64');
});

Deno.test("loadOnnxModel() names a missing file", async () => {
  await assertRejects(
    () => loadOnnxModel("/nonexistent/model.onnx"),
    Error,
    "/nonexistent/model.onnx",
  );
});

Deno.test("encodeOnnxModel() round-trips through decodeOnnxModel()", () => {
  const model = decodeOnnxModel(buildTinyModel(AFFINE), "affine.onnx");
  const again = decodeOnnxModel(encodeOnnxModel(model), "again.onnx");
  assertEquals(again.input, model.input);
  assertEquals([...again.initializers.keys()], [...model.initializers.keys()]);
  assertEquals(values(again.initializers.get("w")!), values(model.initializers.get("w")!));
});

Deno.test("replaceInitializers() returns a model whose onnxruntime output uses the new values", async () => {
  const model = decodeOnnxModel(buildTinyModel(AFFINE), "affine.onnx");
  const w = Float64Array.from([1, 0, 0, 1, 2, -1]);
  const b = Float32Array.from([0.25, -0.5]);
  const edited = replaceInitializers(
    model,
    new Map([
      ["w", { dims: [3, 2], dataType: DataType.DOUBLE, data: w }],
      ["b", { dims: [2], dataType: DataType.FLOAT, data: b }],
    ]),
  );
  assertEquals(edited.initializers.get("w")!.dataType, DataType.FLOAT);
  assertEquals(
    values(model.initializers.get("b")!),
    Array.from(Float32Array.from(floatInput("b", [2], 302).data)),
  );
  const x = Float64Array.from(seeded(15, 3));
  const runner = await createOrtRunner(edited);
  const y = await runner.run(x, 5);
  await runner.release();
  for (let k = 0; k < 5; k++) {
    for (let j = 0; j < 2; j++) {
      let h = b[j]!;
      for (let i = 0; i < 3; i++) h += Math.fround(x[k * 3 + i]!) * w[i * 2 + j]!;
      const expected = 1 / (1 + Math.exp(-0.5 * h));
      assertAlmostEquals(y[k * 2 + j]!, expected, FLOAT32_VS_FLOAT64_TOL);
    }
  }
});

Deno.test("replaceInitializers() refuses unknown names and shape mismatches with a RangeError naming the initializer", () => {
  const model = decodeOnnxModel(buildTinyModel(AFFINE), "affine.onnx");
  const t = { dims: [2, 3], dataType: DataType.FLOAT, data: new Float32Array(6) };
  assertThrows(
    () => replaceInitializers(model, new Map([["w", t]])),
    RangeError,
    '"w" has shape [3, 2] but the new value has shape [2, 3]',
  );
  assertThrows(
    () => replaceInitializers(model, new Map([["nope", t]])),
    RangeError,
    '"nope" is not an initializer',
  );
});

Deno.test("toFloat64() gives a double graph (Constant, Cast, initializers) that onnxruntime runs, agreeing with float32 to 1e-6", async () => {
  const model = decodeOnnxModel(buildTinyModel(AFFINE), "affine.onnx");
  const f64 = toFloat64(model);
  assertEquals(f64.input.elemType, DataType.DOUBLE);
  assertEquals(f64.output.elemType, DataType.DOUBLE);
  assertEquals(f64.initializers.get("w")!.dataType, DataType.DOUBLE);
  assertEquals(model.initializers.get("w")!.dataType, DataType.FLOAT);
  const x = Float64Array.from(seeded(15, 4, -3, 3));
  const r32 = await createOrtRunner(model);
  const r64 = await createOrtRunner(f64);
  const [y32, y64] = [await r32.run(x, 5), await r64.run(x, 5)];
  await r32.release();
  await r64.release();
  assertEquals(r64.dtype, "float64");
  y64.forEach((v, i) =>
    assertAlmostEquals(v, y32[i]!, FLOAT32_VS_FLOAT64_TOL * Math.max(1, Math.abs(v)))
  );
  // Not a float32 result in disguise: some value is not representable in float32.
  assertEquals(Array.from(y64).some((v) => Math.fround(v) !== v), true);
});

/** float64 graph vs an exact float64 formula (or Python's math.erf), absolute. */
const FLOAT64_TOL = 1e-14;

Deno.test("toFloat64() rewrites float-only ops (Elu, Selu, HardSigmoid, Softplus, Softsign, Erf, old LeakyRelu and Clip) exactly enough for onnxruntime float64", async (t) => {
  // Reference values: Python's math.erf.
  const erfPoints = [
    -6,
    -3.1,
    -2,
    -1.999,
    -0.7,
    -1e-3,
    0,
    0.05,
    0.5,
    1,
    1.5,
    1.99,
    2,
    2.01,
    2.5,
    3,
    4,
    5.5,
  ];
  const erfValues = [
    -1.0,
    -0.9999883513426328,
    -0.9953222650189527,
    -0.9953015566513705,
    -0.6778011938374184,
    -0.0011283787909692365,
    0.0,
    0.05637197779701663,
    0.5204998778130465,
    0.8427007929497149,
    0.9661051464753108,
    0.995111413199617,
    0.9953222650189527,
    0.9955248493552482,
    0.999593047982555,
    0.9999779095030014,
    0.9999999845827421,
    0.9999999999999927,
  ];
  const xs = [-40, -3, -1.2, -0.5, 0, 0.25, 1, 2.7, 40];
  const elu = (v: number, a: number) => (v > 0 ? v : a * Math.expm1(v));
  const cases: [
    string,
    onnxProto.onnx.IAttributeProto[],
    number[],
    (v: number, i: number) => number,
  ][] = [
    ["Elu", [attr.float("alpha", 0.7)], xs, (v) => elu(v, Math.fround(0.7))],
    [
      "Selu",
      [],
      xs,
      (v) =>
        Math.fround(1.05070102214813232421875) * elu(v, Math.fround(1.67326319217681884765625)),
    ],
    ["HardSigmoid", [], xs, (v) => Math.min(1, Math.max(0, Math.fround(0.2) * v + 0.5))],
    ["Softplus", [], xs, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))],
    ["Softsign", [], xs, (v) => v / (1 + Math.abs(v))],
    ["Erf", [], erfPoints, (_v, i) => erfValues[i]!],
  ];
  const opsetCases: typeof cases = [
    ["LeakyRelu", [attr.float("alpha", 0.3)], xs, (v) => (v > 0 ? v : Math.fround(0.3) * v)],
    [
      "Clip",
      [attr.float("min", -1), attr.float("max", 2)],
      xs,
      (v) => Math.min(2, Math.max(-1, v)),
    ],
  ];
  for (const [op, attrs, points, f] of [...cases, ...opsetCases]) {
    // LeakyRelu has a double kernel from opset 16 and Clip from 12: test below those.
    const opset = op === "Clip" ? 9 : op === "LeakyRelu" ? 13 : 17;
    await t.step(`${op}, opset ${opset}`, async () => {
      const model = decodeOnnxModel(
        buildTinyModel({
          nodes: [node(op, ["x"], ["y"], attrs)],
          inputs: [{ name: "x", dims: [points.length, 1], data: [] }],
          outputs: [{ name: "y", dims: [points.length, 1] }],
          opset,
        }),
        `${op}.onnx`,
      );
      const f64 = toFloat64(model);
      assertEquals(f64.proto.graph!.node!.some((n) => n.opType === op), false);
      const runner = await createOrtRunner(f64);
      const y = await runner.run(Float64Array.from(points), points.length);
      await runner.release();
      points.forEach((v, i) => assertAlmostEquals(y[i]!, f(v, i), FLOAT64_TOL, `${op}(${v})`));
    });
  }
});

Deno.test("toFloat64() rewrites Clip with input bounds at opset 11 (min only, max only)", async () => {
  for (
    const [inputs, f] of [
      [["x", "lo"], (v: number) => Math.max(-0.5, v)],
      [["x", "", "hi"], (v: number) => Math.min(0.5, v)],
    ] as const
  ) {
    const points = [-2, -0.25, 0, 0.75, 3];
    const model = decodeOnnxModel(
      buildTinyModel({
        nodes: [node("Clip", [...inputs], ["y"])],
        inputs: [{ name: "x", dims: [points.length, 1], data: [] }],
        initializers: [{ name: "lo", dims: [], data: [-0.5] }, {
          name: "hi",
          dims: [],
          data: [0.5],
        }],
        outputs: [{ name: "y", dims: [points.length, 1] }],
        opset: 11,
      }),
      "clip11.onnx",
    );
    const runner = await createOrtRunner(toFloat64(model));
    const y = await runner.run(Float64Array.from(points), points.length);
    await runner.release();
    points.forEach((v, i) => assertAlmostEquals(y[i]!, f(v), FLOAT64_TOL));
  }
});
