import { decodeOnnxModel, encodeOnnxModel } from "../../lib/onnx/model.ts";
import { createOrtRunner } from "../../lib/onnx/ort_runner.ts";
import { assertAlmostEquals, assertEquals, assertRejects } from "../_assert.ts";
import { buildTinyModel, floatInput, node, seeded, type TinyGraph } from "../graph/_tiny_graph.ts";

/** float32 forward vs a float64 formula, relative to max(1, |y|). */
const FORWARD_TOL = { float32: 1e-6, float64: 1e-12 } as const;

function linear(batch: number | null): TinyGraph {
  return {
    nodes: [node("MatMul", ["x", "w"], ["h"]), node("Tanh", ["h"], ["y"])],
    inputs: [{ name: "x", dims: [batch ?? 1, 3], data: [] }],
    initializers: [floatInput("w", [3, 2], 401)],
    outputs: [{ name: "y", dims: [batch ?? 1, 2] }],
  };
}

function modelOf(batch: number | null) {
  const bytes = buildTinyModel(linear(batch));
  const model = decodeOnnxModel(bytes, `linear_${batch}.onnx`);
  if (batch !== null) return model;
  // Make the batch dynamic.
  model.proto.graph!.input![0]!.type!.tensorType!.shape!.dim![0] = { dimParam: "N" };
  model.proto.graph!.output![0]!.type!.tensorType!.shape!.dim![0] = { dimParam: "N" };
  return decodeOnnxModel(encodeOnnxModel(model), "linear_dynamic.onnx");
}

function expected(x: Float64Array, points: number, f32: boolean): number[] {
  const w = floatInput("w", [3, 2], 401).data.map((v) => Math.fround(v));
  const out: number[] = [];
  for (let k = 0; k < points; k++) {
    for (let j = 0; j < 2; j++) {
      let h = 0;
      for (let i = 0; i < 3; i++) {
        const xv = f32 ? Math.fround(x[k * 3 + i]!) : x[k * 3 + i]!;
        h += xv * w[i * 2 + j]!;
      }
      out.push(Math.tanh(h));
    }
  }
  return out;
}

Deno.test("createOrtRunner() runs any batch size on a fixed-batch model (chunked, last chunk padded)", async () => {
  const model = modelOf(4);
  assertEquals(model.input.batch, 4);
  const runner = await createOrtRunner(model);
  try {
    for (const points of [0, 1, 4, 10]) {
      const x = Float64Array.from(seeded(points * 3, points + 1));
      const y = await runner.run(x, points);
      assertEquals(y.length, points * 2);
      expected(x, points, true).forEach((v, i) =>
        assertAlmostEquals(y[i]!, v, FORWARD_TOL.float32)
      );
    }
  } finally {
    await runner.release();
  }
});

Deno.test("createOrtRunner() chunks a dynamic batch (65536 rows, and a small maxChunk) with unchanged results", async () => {
  const model = modelOf(null);
  assertEquals(model.input.batch, null);
  const points = 65536;
  const x = Float64Array.from(seeded(points * 3, 11));
  const whole = await createOrtRunner(model);
  const chunked = await createOrtRunner(model, { maxChunk: 7 });
  try {
    const y = await whole.run(x, points);
    const ref = expected(x, points, true);
    for (let i = 0; i < y.length; i += 997) assertAlmostEquals(y[i]!, ref[i]!, FORWARD_TOL.float32);
    const small = x.subarray(0, 30 * 3);
    assertEquals(Array.from(await chunked.run(small, 30)), Array.from(y.subarray(0, 60)));
  } finally {
    await whole.release();
    await chunked.release();
  }
});

Deno.test("createOrtRunner() float64 session matches a float64 formula to 1e-12", async () => {
  const runner = await createOrtRunner(modelOf(null), { dtype: "float64" });
  try {
    const x = Float64Array.from(seeded(9 * 3, 12));
    const y = await runner.run(x, 9);
    expected(x, 9, false).forEach((v, i) => assertAlmostEquals(y[i]!, v, FORWARD_TOL.float64));
  } finally {
    await runner.release();
  }
});

Deno.test("createOrtRunner().run() refuses inputs of the wrong width with a TypeError", async () => {
  const runner = await createOrtRunner(modelOf(null));
  try {
    await assertRejects(
      () => runner.run(new Float64Array(8), 2),
      TypeError,
      "the model takes 3 inputs per point, got 8 values for 2 points",
    );
    await assertRejects(() => runner.run(new Float64Array(3), 1.5), RangeError, "1.5");
  } finally {
    await runner.release();
  }
});
