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
import { MLP, tiedModel, tinyMlp } from "./_tiny.ts";
import { referenceFromEquations } from "../../lib/reference/equations.ts";
import { makeBounds } from "../../lib/sampling/bounds.ts";

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
  lbfgsIterations: 0,
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

Deno.test("refit() is deterministic through Adam and L-BFGS and leaves no tensor behind", async () => {
  await initTf();
  const { surrogate, data } = await fastkan();
  const small = selectRows(data, Array.from({ length: 160 }, (_, k) => 3 * k));
  await surrogate.tfModel();
  const tensors = tf.memory().numTensors;
  const options = { ...SHORT, epochs: 2, lbfgsIterations: 3, evaluateEvery: 1 };
  const a = await refit(surrogate, small, options);
  assertEquals(tf.memory().numTensors, tensors);
  const b = await refit(surrogate, small, options);
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

/** The tiny MLP of `_tiny.ts` and smooth targets `y = (sin 2x1 + x2, x1·x2)` with their Jacobian. */
function tinyProblem(points: number): { surrogate: Surrogate; data: RefitData } {
  const surrogate = makeSurrogate(tinyMlp(), identityScaling(2, 2));
  const x = Float64Array.from({ length: 2 * points }, (_, i) => ((i * 0.618034) % 1));
  const values = new Float64Array(2 * points);
  const jacobian = new Float64Array(4 * points);
  for (let k = 0; k < points; k++) {
    const a = x[2 * k]!, b = x[2 * k + 1]!;
    values.set([Math.sin(2 * a) + b, a * b], 2 * k);
    jacobian.set([2 * Math.cos(2 * a), 1, b, a], 4 * k);
  }
  return {
    surrogate,
    data: {
      source: "inline",
      points,
      inputs: surrogate.inputs,
      outputs: surrogate.outputs,
      x,
      values,
      jacobian,
    },
  };
}

Deno.test("refit() with an L-BFGS phase after Adam ends with a lower held-out loss than Adam alone", async () => {
  await initTf();
  const { surrogate, data } = tinyProblem(60);
  const options = { ...SHORT, lambda: 1, epochs: 3, learningRate: 0.01, evaluateEvery: 5 };
  const adamOnly = await refit(surrogate, data, options);
  const both = await refit(surrogate, data, { ...options, lbfgsIterations: 40 });
  await surrogate.dispose();
  assertEquals(adamOnly.history.map((h) => h.phase), ["adam", "adam", "adam"]);
  assertEquals(both.history.map((h) => h.phase), [
    "adam",
    "adam",
    "adam",
    ...Array(8).fill("lbfgs"),
  ]);
  assertEquals(both.lbfgs.iterations, 40);
  const loss = (r: typeof both) => r.history[r.bestEpoch - 1]!.holdoutLoss;
  assertLess(loss(both), 0.5 * loss(adamOnly));
  // the L-BFGS checkpoints never get worse by much than the best so far (line search decreases the training loss)
  const train = both.history.filter((h) => h.phase === "lbfgs").map((h) => h.trainLoss);
  train.slice(1).forEach((v, i) => assertLess(v, train[i]! * (1 + 1e-6)));
});

Deno.test("refit() stops on its budget and returns the best weights so far", async () => {
  await initTf();
  const { surrogate, data } = tinyProblem(60);
  const result = await refit(surrogate, data, { ...SHORT, epochs: 100_000, budgetMs: 1500 });
  await surrogate.dispose();
  assertEquals(result.stopReason, "budget");
  assertLess(result.adamEpochs, 100_000);
  const best = result.history[result.bestEpoch - 1]!;
  assertEquals(
    Math.min(...result.history.map((h) => h.holdoutLoss)),
    best.holdoutLoss,
  );
});

Deno.test("refit() with an aborted signal keeps the starting weights and says it was interrupted", async () => {
  await initTf();
  const { surrogate, data } = tinyProblem(40);
  const controller = new AbortController();
  controller.abort();
  const result = await refit(surrogate, data, { ...SHORT, signal: controller.signal });
  await surrogate.dispose();
  assertEquals(result.stopReason, "interrupted");
  assertEquals(result.bestEpoch, 0);
  assertEquals(result.history.length, 0);
  assertEquals(result.stateDict.get("w1")!.data, Float32Array.from(MLP.w1));
});

Deno.test("refit() with adaptive sampling adds the worst candidates of the box to the training set", async () => {
  await initTf();
  const { surrogate, data } = tinyProblem(60);
  const reference = referenceFromEquations(
    { inputs: ["x1", "x2"], outputs: { y1: "sin(2*x1) + x2", y2: "x1*x2" } },
    "tiny.json",
  );
  const result = await refit(surrogate, data, {
    ...SHORT,
    epochs: 1,
    lbfgsIterations: 6,
    evaluateEvery: 2,
    adaptive: {
      reference,
      bounds: makeBounds(["x1", "x2"], { min: [0, 0], max: [1, 1] }),
      points: 5,
      every: 2,
      rounds: 2,
    },
  });
  await surrogate.dispose();
  // rounds when L-BFGS starts and after iterations 2, 4 and 6; two of them add points
  assertEquals(result.adaptiveRounds.map((r) => r.added), [5, 5, 0, 0]);
  assertEquals(result.split.added, 10);
  assertEquals(result.split.train, 45 + 10);
  assertEquals(result.history.at(-1)!.trainPoints, 55);
});
