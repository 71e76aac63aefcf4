/**
 * Fixed-batch exports (torch's defaults, tests/testdata/onnx, made by
 * make_static_batch.py): the batch made dynamic where the rewrite can be
 * followed and proven, chunks of the fixed batch where it cannot, and every
 * engine against PyTorch's own values, evaluated row by row.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";
import { assertLessOrEqual } from "../_assert.ts";
import { buildTfModel } from "../../lib/graph/tf_model.ts";
import { decodeOnnxModel, loadOnnxModel } from "../../lib/onnx/model.ts";
import { makeBatchDynamic } from "../../lib/onnx/dynamic_batch.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";

/** float32 forwards vs PyTorch float32 (row by row), absolute; outputs are O(1). */
const FORWARD_TOL = { float32: 2e-6 } as const;
/** float32 Jacobians (autodiff) vs PyTorch float64 autograd, relative to max(1, max |J|). */
const JACOBIAN_TOL = { float32: 2e-4 } as const;
/** float64 central differences vs PyTorch float64 autograd (FastKAN stores float32 constants). */
const FD_TOL = { float64: 1e-5 } as const;

interface Fixture {
  batch: number | null;
  y_float32: number[][];
  jacobian_float64?: number[][][];
}
const dir = new URL("../testdata/onnx/", import.meta.url);
const summary = JSON.parse(await Deno.readTextFile(new URL("static_batch.json", dir))) as {
  points: number[][];
  models: Record<string, Fixture>;
};
const x = Float64Array.from(summary.points.flat());
const points = summary.points.length;
const path = (name: string) => new URL(`${name}.onnx`, dir).pathname;

function worstAbs(got: ArrayLike<number>, want: number[]): number {
  let worst = 0;
  want.forEach((v, i) => (worst = Math.max(worst, Math.abs(got[i]! - v))));
  return worst;
}

const EXPECTED_MODE: Record<string, "rewritten" | "chunked"> = {
  fastkan_b1: "rewritten",
  effkan_b1: "rewritten",
  view_b1: "rewritten",
  fastkan_b16: "rewritten",
  rowmix_b1: "chunked",
};

for (const [name, mode] of Object.entries(EXPECTED_MODE)) {
  const ref = summary.models[name]!;
  Deno.test(`makeBatchDynamic() ${mode === "rewritten" ? "rewrites" : "keeps"} the fixed batch of ${name}, and every engine matches PyTorch`, async () => {
    await initTf();
    const original = await loadOnnxModel(path(name));
    assertEquals(original.input.batch, ref.batch);
    const { model, rewrite } = await makeBatchDynamic(original);
    assertEquals(rewrite.mode, mode);
    assertEquals(rewrite.staticBatch, ref.batch);
    if (mode === "rewritten") {
      assertEquals(model.input.batch, null);
      assertLessOrEqual(rewrite.check!, 1e-5);
    } else {
      assertStringIncludes(rewrite.reason!, "/ReduceMean");
      assertEquals(model, original);
    }

    const surrogate = await loadSurrogate(path(name));
    try {
      assertEquals(surrogate.batch.mode, mode);
      const want = ref.y_float32.flat();
      assertLessOrEqual(worstAbs(await surrogate.predict(x), want), FORWARD_TOL.float32);
      assertLessOrEqual(
        worstAbs(await surrogate.predict(x, { engine: "tf" }), want),
        FORWARD_TOL.float32,
      );
      if (ref.jacobian_float64) {
        const jWant = ref.jacobian_float64.flat(2);
        const scale = Math.max(1, ...jWant.map(Math.abs));
        const ad = await surrogate.jacobian(x);
        assertLessOrEqual(worstAbs(ad.values, jWant) / scale, JACOBIAN_TOL.float32);
        const fd = await surrogate.jacobian(x, { method: "fd" });
        assertLessOrEqual(worstAbs(fd.values, jWant) / scale, FD_TOL.float64);
      }
    } finally {
      await surrogate.dispose();
    }
  });
}

Deno.test("buildTfModel() runs a graph whose batch stays fixed in chunks of it, padding the last", async () => {
  await initTf();
  const tfModel = buildTfModel(await loadOnnxModel(path("fastkan_b16")));
  try {
    const rows = 20; // one chunk of 16 and one padded chunk of 4
    const xs = Float32Array.from(
      Array.from({ length: rows }, (_, r) => summary.points[r % points]!).flat(),
    );
    const y = tf.tidy(() => tfModel.apply(tf.tensor2d(xs, [rows, 3])).arraySync());
    assertEquals(y.length, rows);
    const want = summary.models["fastkan_b16"]!.y_float32;
    y.forEach((row, r) => assertLessOrEqual(worstAbs(row, want[r % points]!), FORWARD_TOL.float32));
    assertEquals(tf.tidy(() => tfModel.apply(tf.zeros([0, 3])).shape), [0, 2]);
  } finally {
    tfModel.dispose();
  }
});

Deno.test("loadOnnxModel() finds an output width the exporter left symbolic by running the model once", async () => {
  const bytes = await Deno.readFile(path("cheby_dynamic"));
  // The synchronous decoder cannot run the model: it says so and where to look.
  let message = "";
  try {
    decodeOnnxModel(bytes, "cheby_dynamic.onnx");
  } catch (error) {
    message = (error as Error).message;
  }
  assertMatch(message, /output "y" has no fixed width \(loadOnnxModel finds it/);
  const model = await loadOnnxModel(path("cheby_dynamic"));
  assertEquals(model.output.width, 2);
  assertEquals(model.input.batch, null);
  const surrogate = await loadSurrogate(path("cheby_dynamic"));
  try {
    const want = summary.models["cheby_dynamic"]!.y_float32.flat();
    assertLessOrEqual(worstAbs(await surrogate.predict(x), want), FORWARD_TOL.float32);
  } finally {
    await surrogate.dispose();
  }
});

Deno.test("loadSurrogate() refuses a scaling file that contradicts the width found by running the model", async () => {
  const tmp = await Deno.makeTempFile({ suffix: ".csv" });
  try {
    await Deno.writeTextFile(
      tmp,
      "Variable,Min,Max\nx1,0,1\nx2,0,1\nx3,0,1\nf1,0,1\nf2,0,1\nf3,0,1\n",
    );
    await assertRejects(
      () => loadSurrogate(path("cheby_dynamic"), { scaling: tmp }),
      Error,
      "output",
    );
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("partials inspect reports a fixed batch and what was done about it", async () => {
  const main = new URL("../../lib/cli/main.ts", import.meta.url).pathname;
  const run = async (name: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, "inspect", path(name)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout);
  };
  assertMatch(
    await run("fastkan_b1"),
    /batch\s+batch fixed at 1 in the file; made dynamic \(2 shape constant/,
  );
  assertMatch(
    await run("rowmix_b1"),
    /batch\s+batch fixed at 1 in the file; runs in chunks of 1 row\(s\) \(node "\/ReduceMean"/,
  );
});
