/**
 * The CLI's derivative commands: `jacobian --method graph|autodiff|fd`
 * against PyTorch's float64 autograd, `hessian` against float64 central
 * differences of the Jacobian, `export-jacobian` loaded in a fresh onnxruntime
 * session against `partials jacobian`, and the chunked loop they share.
 */
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { compareJacobians } from "../../lib/compare/jacobians.ts";
import { streamPoints } from "../../lib/cli/_stream.ts";
import { finiteDifferenceJacobian } from "../../lib/jacobian/finite_differences.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";
import { assert, assertEquals, assertLessOrEqual, assertStringIncludes } from "../_assert.ts";
import { bundledPaths, flat, type Oracle, SEED } from "../_bundled.ts";
import { assertOneLineError, partials, partialsCsv, partialsOk, seedPoints } from "./_partials.ts";

/** Each method vs PyTorch's float64 autograd on efficient-KAN, as a fraction of each entry's range. */
const METHOD_TOL = { graph: 1e-5, autodiff: 1e-5, fd: 1e-5, graph64: 1e-6 } as const;

/** `partials export-jacobian --model <model> --scaling <seed scaling> <extra> --out <out>`, succeeding. */
function exportJacobian(model: string, out: string, ...extra: string[]) {
  return partialsOk(
    "export-jacobian",
    "--model",
    model,
    "--scaling",
    SEED.scaling,
    ...extra,
    "--out",
    out,
  );
}

Deno.test("partials jacobian: every --method matches PyTorch's float64 autograd, the graph by default", async (t) => {
  const dir = await Deno.makeTempDir();
  const paths = bundledPaths("effkan");
  const oracle = JSON.parse(await Deno.readTextFile(paths.oracle)) as Oracle;
  const names = { outputs: ["f1", "f2", "f3", "f4"], inputs: ["x1", "x2", "x3", "x4"] };
  const ref = { points: 200, ...names, values: flat(oracle.jacobian_physical) };
  const cases = [
    ["default", [], "derivative graph, onnxruntime float32", METHOD_TOL.graph],
    ["graph float64", ["--method", "graph", "--dtype", "float64"], "float64", METHOD_TOL.graph64],
    ["autodiff", ["--method", "autodiff"], "reverse-mode autodiff", METHOD_TOL.autodiff],
    ["fd", ["--method", "fd"], "central differences", METHOD_TOL.fd],
  ] as const;
  for (const [label, extra, how, tol] of cases) {
    await t.step(label, async () => {
      const out = `${dir}/${label.replace(" ", "_")}.csv`;
      const { run, values } = await partialsCsv(
        out,
        4,
        "jacobian",
        ...seedPoints(paths.onnx),
        ...extra,
      );
      assertStringIncludes(run.stderr, how);
      const worst = compareJacobians({ ...ref, values }, ref).worstRangeNormalized;
      assertLessOrEqual(worst.value, tol, `${label}: worst ${worst.label}`);
    });
  }
});

Deno.test("partials hessian writes d2<out>_d<in>_d<in> columns matching float64 central differences of the Jacobian", async () => {
  const dir = await Deno.makeTempDir();
  const paths = bundledPaths("mlp");
  const { table, values } = await partialsCsv(
    `${dir}/h.csv`,
    4,
    "hessian",
    ...seedPoints(paths.onnx),
  );
  assertEquals(table.columns.slice(4, 7), ["d2f1_dx1_dx1", "d2f1_dx1_dx2", "d2f1_dx1_dx3"]);
  assertEquals(table.columns.at(-1), "d2f4_dx4_dx4");
  const model = await loadSurrogate(paths.onnx, { scaling: SEED.scaling });
  try {
    const x = new Float64Array(table.rows * 4);
    for (let k = 0; k < table.rows; k++) x.set(table.data.subarray(k * 68, k * 68 + 4), k * 4);
    const fd = await finiteDifferenceJacobian(
      async (v) => (await model.derivatives(v, { dtype: "float64" })).jacobian,
      x,
      {
        points: table.rows,
        inputWidth: 4,
        outputWidth: 16,
        inputScale: model.scaling.inputs.map((s) => 1 / s.scale),
        richardson: true,
      },
    );
    const entries = { points: table.rows, outputs: [...Array(16).keys()].map(String) };
    const hRef = { ...entries, inputs: ["a", "b", "c", "d"], values: fd.values };
    const worst = compareJacobians({ ...hRef, values }, hRef).worstRangeNormalized;
    assertLessOrEqual(worst.value, 1e-6, `worst ${worst.label}`);
  } finally {
    await model.dispose();
  }
});

Deno.test("partials export-jacobian writes a model that a fresh onnxruntime session runs to partials jacobian's results", async (t) => {
  for (const name of ["effkan", "fastkan", "mlp"]) {
    await t.step(name, async () => {
      const dir = await Deno.makeTempDir();
      const paths = bundledPaths(name);
      await exportJacobian(paths.onnx, `${dir}/J.onnx`);
      const cli = await partialsCsv(`${dir}/j.csv`, 4, "jacobian", ...seedPoints(paths.onnx));
      const forward = await partialsCsv(`${dir}/y.csv`, 4, "forward", ...seedPoints(paths.onnx));
      const points = cli.table.rows;
      const x = new Float32Array(points * 4);
      for (let k = 0; k < points; k++) {
        for (let c = 0; c < 4; c++) x[k * 4 + c] = cli.table.data[k * 20 + c]!;
      }
      const session = await ort.InferenceSession.create(await Deno.readFile(`${dir}/J.onnx`));
      try {
        assertEquals([...session.inputNames], ["x"]);
        assertEquals([...session.outputNames], ["y", "J"]);
        const out = await session.run({ x: new ort.Tensor("float32", x, [points, 4]) });
        assertEquals([...out.J!.dims], [points, 4, 4]);
        const names = {
          points,
          outputs: ["f1", "f2", "f3", "f4"],
          inputs: ["x1", "x2", "x3", "x4"],
        };
        const exported = { ...names, values: Float64Array.from(out.J!.data as Float32Array) };
        const ref = { ...names, values: cli.values };
        // Same float32 graph; only the normalization differs (in the graph in float32, on the
        // host in float64 for the CLI): float32 precision, amplified by FastKAN's LayerNorm.
        const tol = name === "fastkan" ? 1e-4 : 1e-5;
        const worst = compareJacobians(exported, ref).worstRangeNormalized;
        assertLessOrEqual(worst.value, tol, `J, worst ${worst.label}`);
        const yOut = out.y!.data as Float32Array;
        for (let i = 0; i < yOut.length; i++) {
          const expected = forward.values[i]!;
          assertLessOrEqual(Math.abs(yOut[i]! - expected), 1e-5 * Math.max(1, Math.abs(expected)));
        }
      } finally {
        await session.release();
      }
    });
  }
});

Deno.test("partials export-jacobian --hessian --dtype float64 adds H, in double", async () => {
  const dir = await Deno.makeTempDir();
  const paths = bundledPaths("mlp");
  await exportJacobian(paths.onnx, `${dir}/H.onnx`, "--hessian", "--dtype", "float64");
  const proto = onnxProto.onnx.ModelProto.decode(await Deno.readFile(`${dir}/H.onnx`));
  assertEquals(proto.graph!.output!.map((o) => o.name), ["y", "J", "H"]);
  assertEquals(proto.graph!.input![0]!.type!.tensorType!.elemType, 11);
  const model = await loadSurrogate(paths.onnx, { scaling: SEED.scaling });
  const session = await ort.InferenceSession.create(await Deno.readFile(`${dir}/H.onnx`));
  try {
    const x = Float64Array.of(1.1, 0.9, 1.7, 2.2);
    const out = await session.run({ x: new ort.Tensor("float64", x, [1, 4]) });
    const lib = await model.derivatives(x, { order: 2, dtype: "float64" });
    const h = out.H!.data as Float64Array;
    lib.hessian!.forEach((v, i) =>
      assertLessOrEqual(Math.abs(h[i]! - v), 1e-9 * Math.max(1, Math.abs(v)))
    );
  } finally {
    await session.release();
    await model.dispose();
  }
});

Deno.test("streamPoints() gives the same rows in chunks of any size", async () => {
  const dir = await Deno.makeTempDir();
  const paths = bundledPaths("fastkan");
  const run = (chunkRows: number, out: string) =>
    streamPoints({
      model: paths.onnx,
      inputs: SEED.inputs,
      scaling: SEED.scaling,
      out,
      label: "test",
      chunkRows,
      plan: (s) => ({
        columns: s.outputs,
        compute: async (x) => (await s.derivatives(x)).y,
      }),
    });
  const whole = await run(1000, `${dir}/whole.csv`);
  const pieces = await run(7, `${dir}/pieces.csv`);
  assertEquals(whole.points, 200);
  assertEquals(pieces.points, 200);
  assertEquals(
    await Deno.readTextFile(`${dir}/pieces.csv`),
    await Deno.readTextFile(`${dir}/whole.csv`),
  );
});

Deno.test("partials jacobian falls back to autodiff, saying why, when the derivative graph lacks an op; --method graph refuses", async () => {
  const dir = await Deno.makeTempDir();
  const vi = (name: string) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: 2 }] } } },
  });
  await Deno.writeFile(
    `${dir}/custom.onnx`,
    onnxProto.onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: "", version: 17 }, { domain: "com.example", version: 1 }],
      graph: {
        node: [{ opType: "Gizmo", domain: "com.example", input: ["x"], output: ["y"], name: "g" }],
        input: [vi("x")],
        output: [vi("y")],
      },
    }).finish(),
  );
  await Deno.writeTextFile(`${dir}/x.csv`, "x1,x2\n1,2\n");
  const args = ["jacobian", "--model", `${dir}/custom.onnx`, "--inputs", `${dir}/x.csv`];
  const strict = await partials(...args, "--method", "graph", "--out", `${dir}/j.csv`);
  assert(strict.code === 1, strict.stderr);
  assertStringIncludes(strict.stderr, "error:");
  const auto = await partials(...args, "--out", `${dir}/j.csv`);
  // The rebuild does not know the op either: the warning comes first, then its error.
  assertStringIncludes(auto.stderr, "using --method autodiff");
  assertOneLineError(auto, 1, "Gizmo");
});
