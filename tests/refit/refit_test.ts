import { assertAlmostEquals, assertEquals, assertLess, assertRejects } from "../_assert.ts";
import { bundledPaths, SEED } from "../_bundled.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import { loadReference } from "../../lib/reference/load.ts";
import { type RefitData, refitDataFromReference, selectRows } from "../../lib/refit/data.ts";
import { refit, type RefitOptions } from "../../lib/refit/refit.ts";
import { writeRefit } from "../../lib/refit/write_back.ts";
import { identityScaling } from "../../lib/scaling/scaler.ts";
import {
  loadSurrogate,
  makeSurrogate,
  selectInputColumns,
  type Surrogate,
} from "../../lib/surrogate/surrogate.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { loadStateDict } from "../../lib/weights/load.ts";
import { coverage, mapStateDict } from "../../lib/weights/map.ts";
import { tiedModel } from "./_tiny.ts";

/** onnxruntime vs the tfjs rebuild, both float32, as a fraction of each output's range. */
const ENGINE_AGREEMENT = { float32: 1e-5 } as const;

async function fastkan(): Promise<{ surrogate: Surrogate; data: RefitData }> {
  const p = bundledPaths("fastkan");
  const surrogate = await loadSurrogate(p.onnx, { scaling: p.scaling });
  const reference = await loadReference(SEED.equations);
  const table = await readNumericCsv(SEED.samples);
  const x = selectInputColumns(table, surrogate.inputs, SEED.samples);
  const all = refitDataFromReference(reference, x, { source: SEED.samples });
  return { surrogate, data: all };
}

const SHORT: RefitOptions = {
  lambda: 0.1,
  epochs: 3,
  batchSize: 64,
  learningRate: 2e-3,
  holdout: 0.25,
  seed: 7,
};

Deno.test("refit() trains a tied weight as one variable and keeps both graph copies consistent", async () => {
  await initTf();
  const start = [0.9, -0.4, 0.3, 1.1];
  const onnx = tiedModel(start);
  const dict = new Map([["fc.weight", {
    shape: [2, 2],
    dtype: "float32" as const,
    data: new Float32Array(start),
  }]]);
  const map = mapStateDict(onnx, dict);
  assertEquals(map.keys[0]!.initializers.length, 2);
  const surrogate = makeSurrogate(onnx, identityScaling(2, 2), {
    weights: { path: "inline", dict, map },
  });
  // targets: y = (x1 + x2, x1 − x2), exact Jacobian
  const N = 40;
  const x = Float64Array.from({ length: 2 * N }, (_, i) => ((i * 0.37) % 1));
  const values = new Float64Array(2 * N);
  const jacobian = new Float64Array(4 * N);
  for (let k = 0; k < N; k++) {
    values[2 * k] = x[2 * k]! + x[2 * k + 1]!;
    values[2 * k + 1] = x[2 * k]! - x[2 * k + 1]!;
    jacobian.set([1, 1, 1, -1], 4 * k);
  }
  const data: RefitData = {
    source: "inline",
    points: N,
    inputs: surrogate.inputs,
    outputs: surrogate.outputs,
    x,
    values,
    jacobian,
  };
  const result = await refit(surrogate, data, { ...SHORT, learningRate: 0.05, epochs: 5 });
  await surrogate.dispose();
  assertEquals(result.plan.trainable, ["fc.weight"]);
  assertEquals(result.plan.initializers, ["onnx::MatMul_7", "fc.weight"]);
  const w = Array.from(result.stateDict.get("fc.weight")!.data as Float32Array);
  assertEquals(w.some((v, i) => v !== Math.fround(start[i]!)), true);
  const copy = Array.from(result.onnx.initializers.get("onnx::MatMul_7")!.data as Float32Array);
  const named = Array.from(result.onnx.initializers.get("fc.weight")!.data as Float32Array);
  assertEquals(named, w);
  assertEquals(copy, [w[0]!, w[2]!, w[1]!, w[3]!]);
});

Deno.test("refit() with λ > 0 lowers the held-out Jacobian error of the bundled FastKAN", async () => {
  await initTf();
  const { surrogate, data } = await fastkan();
  const small = selectRows(data, Array.from({ length: 400 }, (_, k) => k));
  const result = await refit(surrogate, small, { ...SHORT, epochs: 8 });
  await surrogate.dispose();
  for (let i = 0; i < 4; i++) {
    assertLess(
      result.after.outputs[i]!.jacobianRowNormalizedError,
      result.before.outputs[i]!.jacobianRowNormalizedError,
    );
  }
  assertEquals(result.bestEpoch > 0, true);
});

Deno.test("refit() is deterministic and leaves no tensor behind", async () => {
  await initTf();
  const { surrogate, data } = await fastkan();
  const small = selectRows(data, Array.from({ length: 160 }, (_, k) => 3 * k));
  await surrogate.tfModel();
  const tensors = tf.memory().numTensors;
  const a = await refit(surrogate, small, { ...SHORT, epochs: 2 });
  assertEquals(tf.memory().numTensors, tensors);
  const b = await refit(surrogate, small, { ...SHORT, epochs: 2 });
  assertEquals(tf.memory().numTensors, tensors);
  await surrogate.dispose();
  assertEquals(
    a.history.map((h) => [h.trainLoss, h.holdoutLoss]),
    b.history.map((h) => [h.trainLoss, h.holdoutLoss]),
  );
  assertEquals(a.after, b.after);
  assertEquals(a.stateDict, b.stateDict);
});

Deno.test("writeRefit() writes a safetensors with the original keys and an ONNX that onnxruntime and tfjs agree on", async () => {
  await initTf();
  const { surrogate, data } = await fastkan();
  const small = selectRows(data, Array.from({ length: 160 }, (_, k) => k));
  const result = await refit(surrogate, small, { ...SHORT, epochs: 2 });
  const scaling = surrogate.scaling;
  const original = await loadStateDict(bundledPaths("fastkan").pth);
  await surrogate.dispose();
  const dir = await Deno.makeTempDir();
  try {
    const written = await writeRefit(result, dir);
    const dict = await loadStateDict(written.safetensors);
    assertEquals([...dict.keys()], [...original.keys()]);
    for (const [key, t] of original) {
      assertEquals(dict.get(key)!.shape, t.shape, key);
      assertEquals(dict.get(key)!.dtype, t.dtype, key);
      assertEquals(dict.get(key)!.data, result.stateDict.get(key)!.data, key);
    }
    // fixed grids are written unchanged
    assertEquals(dict.get("layers.1.rbf.grid")!.data, original.get("layers.1.rbf.grid")!.data);
    const onnx = await loadOnnxModel(written.onnx);
    assertEquals(coverage(mapStateDict(onnx, dict)), 1);
    const summary = JSON.parse(await Deno.readTextFile(written.summary));
    assertEquals(summary.lambda, SHORT.lambda);
    assertEquals(summary.seed, SHORT.seed);
    assertEquals(summary.metrics.after.outputs.length, 4);

    const refitModel = makeSurrogate(onnx, scaling);
    const x = selectInputColumns(await readNumericCsv(SEED.inputs), refitModel.inputs, SEED.inputs);
    const viaOrt = await refitModel.predict(x, { engine: "ort" });
    const viaTf = await refitModel.predict(x, { engine: "tf" });
    await refitModel.dispose();
    refitModel.scaling.outputs.forEach((s, i) => {
      const range = 1 / s.scale;
      for (let k = 0; k < x.length / 4; k++) {
        assertAlmostEquals(viaTf[k * 4 + i]!, viaOrt[k * 4 + i]!, ENGINE_AGREEMENT.float32 * range);
      }
    });
    await assertRejects(
      () => writeRefit(result, bundledPaths("fastkan").dir),
      RangeError,
      "input of the refit",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
