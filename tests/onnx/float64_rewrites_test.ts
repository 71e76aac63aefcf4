import type onnxProto from "onnx-proto";
import { decodeOnnxModel, toFloat64 } from "../../lib/onnx/model.ts";
import { createOrtRunner } from "../../lib/onnx/ort_runner.ts";
import { assertAlmostEquals, assertEquals, assertRejects } from "../_assert.ts";
import { attr, buildTinyModel, floatInput, int64, node, seeded } from "../graph/_tiny_graph.ts";

/** float64 rewrite vs a float64 reference, absolute (values are O(1)). */
const FLOAT64_TOL = { float64: 1e-14 } as const;

/** Runs `op` on a column of points in the float64 copy, asserting the op was rewritten. */
async function runRewritten(
  op: string,
  attrs: onnxProto.onnx.IAttributeProto[],
  points: readonly number[],
  opset: number,
  extra: { inputs?: string[]; initializers?: ReturnType<typeof floatInput>[] } = {},
) {
  const model = decodeOnnxModel(
    buildTinyModel({
      nodes: [node(op, ["x", ...(extra.inputs ?? [])], ["y"], attrs)],
      inputs: [{ name: "x", dims: [points.length, 1], data: [] }],
      initializers: extra.initializers ?? [],
      outputs: [{ name: "y", dims: [points.length, 1] }],
      opset,
    }),
    `${op}.onnx`,
  );
  const f64 = toFloat64(model);
  assertEquals(f64.proto.graph!.node!.some((n) => n.opType === op), false, `${op} rewritten`);
  const runner = await createOrtRunner(f64);
  try {
    return await runner.run(Float64Array.from(points), points.length);
  } finally {
    await runner.release();
  }
}

Deno.test("toFloat64() rewrites Tan, Asin, Acos, Atan, Sinh, Cosh to float64 accuracy for onnxruntime", async (t) => {
  const inside = [-1, -0.999999, -0.9, -0.5, -1e-9, 0, 1e-3, 0.3, 0.7071, 0.99, 0.9999999, 1];
  const wide = [-1e6, -40, -3, -1.2, -0.5, -1e-8, 0, 0.25, 1, 1.5, 2.7, 40, 1e8];
  const cases: [string, number[], (v: number) => number][] = [
    ["Asin", inside, Math.asin],
    ["Acos", inside, Math.acos],
    ["Atan", wide, Math.atan],
    ["Tan", [-1.5, -1, -0.3, 0, 0.2, 1, 1.4, 3], Math.tan],
    ["Sinh", [-5, -1, -1e-6, 0, 0.3, 2, 7], Math.sinh],
    ["Cosh", [-5, -1, -1e-6, 0, 0.3, 2, 7], Math.cosh],
  ];
  for (const [op, points, f] of cases) {
    await t.step(op, async () => {
      const y = await runRewritten(op, [], points, 17);
      points.forEach((v, i) =>
        assertAlmostEquals(
          y[i]!,
          f(v),
          FLOAT64_TOL.float64 * Math.max(1, Math.abs(f(v))),
          `${op}(${v})`,
        )
      );
    });
  }
  await t.step("Asin outside [-1, 1] is NaN, as Math.asin", async () => {
    const y = await runRewritten("Asin", [], [1.5, -2], 17);
    assertEquals([Number.isNaN(y[0]!), Number.isNaN(y[1]!)], [true, true]);
  });
});

Deno.test("toFloat64() rewrites Celu, HardSwish, ThresholdedRelu, PRelu (opset 9) and Mean exactly", async (t) => {
  const xs = [-40, -3, -1.2, -0.5, 0, 0.25, 1, 2.7, 3, 40];
  await t.step("Celu alpha 0.5", async () => {
    const y = await runRewritten("Celu", [attr.float("alpha", 0.5)], xs, 17);
    xs.forEach((v, i) =>
      assertAlmostEquals(y[i]!, v > 0 ? v : 0.5 * Math.expm1(v / 0.5), FLOAT64_TOL.float64)
    );
  });
  await t.step("HardSwish", async () => {
    const y = await runRewritten("HardSwish", [], xs, 17);
    xs.forEach((v, i) =>
      assertAlmostEquals(y[i]!, v * Math.min(1, Math.max(0, v / 6 + 0.5)), FLOAT64_TOL.float64)
    );
  });
  await t.step("ThresholdedRelu alpha 1 (0 at the threshold)", async () => {
    const y = await runRewritten("ThresholdedRelu", [], xs, 17);
    xs.forEach((v, i) => assertEquals(y[i], v > 1 ? v : 0, `ThresholdedRelu(${v})`));
  });
  await t.step("PRelu with a slope initializer, opset 9", async () => {
    const y = await runRewritten("PRelu", [], xs, 9, {
      inputs: ["s"],
      initializers: [{ name: "s", dims: [1], data: [0.25] }],
    });
    xs.forEach((v, i) => assertEquals(y[i], v > 0 ? v : 0.25 * v, `PRelu(${v})`));
  });
  await t.step("Mean of three inputs", async () => {
    const y = await runRewritten("Mean", [], xs, 17, {
      inputs: ["a", "b"],
      initializers: [{ name: "a", dims: [1], data: [0.5] }, { name: "b", dims: [1], data: [2] }],
    });
    xs.forEach((v, i) => assertAlmostEquals(y[i]!, (v + 0.5 + 2) / 3, FLOAT64_TOL.float64));
  });
});

/** Direct float64 1-D convolution: x [N, C, L], w [O, C/g, K], b [O]. */
function convReference(
  x: number[],
  [n, c, l]: number[],
  w: number[],
  [o, cg, k]: number[],
  b: number[],
  { s = 1, d = 1, g = 1, pads = [0, 0] } = {},
): number[] {
  const lout = Math.floor((l! + pads[0]! + pads[1]! - d * (k! - 1) - 1) / s) + 1;
  const out: number[] = [];
  for (let ni = 0; ni < n!; ni++) {
    for (let oi = 0; oi < o!; oi++) {
      const group = Math.floor(oi / (o! / g));
      for (let t = 0; t < lout; t++) {
        let acc = b[oi] ?? 0;
        for (let ci = 0; ci < cg!; ci++) {
          for (let ki = 0; ki < k!; ki++) {
            const pos = t * s + ki * d - pads[0]!;
            if (pos < 0 || pos >= l!) continue;
            const channel = group * cg! + ci;
            acc += w[(oi * cg! + ci) * k! + ki]! * x[(ni * c! + channel) * l! + pos]!;
          }
        }
        out.push(acc);
      }
    }
  }
  return out;
}

Deno.test("toFloat64() rewrites a 1-D Conv (pads, strides, dilations, groups, bias) matching a direct float64 convolution", async (t) => {
  const cases: [string, { s?: number; d?: number; g?: number; pads?: number[] }, number][] = [
    ["plain", {}, 17],
    ["pads 2/1, stride 2, dilation 2", { s: 2, d: 2, pads: [2, 1] }, 17],
    ["2 groups, pads 1/1", { g: 2, pads: [1, 1] }, 13],
    ["2 groups, stride 3, opset 18", { g: 2, s: 3 }, 18],
    ["opset 9 (Pad and Slice attributes), pads 1/0", { pads: [1, 0] }, 9],
  ];
  const [n, c, l, o, k] = [3, 4, 9, 6, 3];
  for (const [label, opts, opset] of cases) {
    await t.step(label, async () => {
      const g = opts.g ?? 1;
      const w = floatInput("w", [o, c / g, k], 621);
      const b = floatInput("b", [o], 622);
      const attrs = [
        attr.ints("kernel_shape", [k]),
        attr.int("group", g),
        ...(opts.s ? [attr.ints("strides", [opts.s])] : []),
        ...(opts.d ? [attr.ints("dilations", [opts.d])] : []),
        ...(opts.pads ? [attr.ints("pads", opts.pads)] : []),
      ];
      const lout = Math.floor(
        (l + (opts.pads?.[0] ?? 0) + (opts.pads?.[1] ?? 0) - (opts.d ?? 1) * (k - 1) - 1) /
          (opts.s ?? 1),
      ) + 1;
      const model = decodeOnnxModel(
        buildTinyModel({
          nodes: [
            node("Reshape", ["x", "in"], ["x3"]),
            node("Conv", ["x3", "w", "b"], ["c"], attrs),
            node("Reshape", ["c", "out"], ["y"]),
          ],
          inputs: [{ name: "x", dims: [n, c * l], data: [] }],
          initializers: [w, b, int64("in", [n, c, l]), int64("out", [n, o * lout])],
          outputs: [{ name: "y", dims: [n, o * lout] }],
          opset,
        }),
        "conv.onnx",
      );
      const f64 = toFloat64(model);
      assertEquals(f64.proto.graph!.node!.some((v) => v.opType === "Conv"), false);
      const x = seeded(n * c * l, 623);
      const runner = await createOrtRunner(f64);
      const y = await runner.run(Float64Array.from(x), n);
      await runner.release();
      const expected = convReference(
        x,
        [n, c, l],
        w.data.map(Math.fround),
        [o, c / g, k],
        b.data.map(Math.fround),
        { g, ...opts },
      );
      assertEquals(y.length, expected.length);
      expected.forEach((v, i) => assertAlmostEquals(y[i]!, v, FLOAT64_TOL.float64, `y[${i}]`));
    });
  }
});

Deno.test("createOrtRunner() names the file, the float64 copy and the op when onnxruntime has no double kernel", async () => {
  const model = decodeOnnxModel(
    buildTinyModel({
      nodes: [{ ...node("Acosh", ["x"], ["y"]), name: "/layer/Acosh" }],
      inputs: [{ name: "x", dims: [2, 1], data: [] }],
      outputs: [{ name: "y", dims: [2, 1] }],
    }),
    "models/acosh.onnx",
  );
  await assertRejects(
    () => createOrtRunner(model, { dtype: "float64" }),
    TypeError,
    'Cannot run the float64 copy of models/acosh.onnx (made for finite differences) in onnxruntime: it has no double kernel for op "Acosh" (version 9) (node "/layer/Acosh")',
  );
});
