import { assertAlmostEquals, assertEquals } from "../_assert.ts";
import { buildTfModel } from "../../lib/graph/tf_model.ts";
import type { RefitData } from "../../lib/refit/data.ts";
import { scoreHeldOut } from "../../lib/refit/metrics.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import {
  compileJacobianGraph,
  disposeSet,
  type JacobianGraph,
  RefitObjective,
  toTensorSet,
} from "../../lib/refit/objective.ts";
import { planFromInitializers, planFromStateDict } from "../../lib/refit/parameters.ts";
import { loadStateDict } from "../../lib/weights/load.ts";
import { mapStateDict } from "../../lib/weights/map.ts";
import { bundledPaths } from "../_bundled.ts";
import { identityScaling } from "../../lib/scaling/scaler.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { tinyMlp } from "./_tiny.ts";

/** float32 sums over chunks in a different order, relative to the largest gradient entry. */
const CHUNK_RTOL = { float32: 1e-5 } as const;
/** float32 tfjs loss vs the same formula in float64 on the host, relative. */
const HOST_LOSS_RTOL = { float32: 1e-5 } as const;

const N = 37;
const X = Float32Array.from({ length: 2 * N }, (_, i) => ((i * 0.618) % 1));
const set = {
  points: N,
  x: X,
  y: Float32Array.from({ length: 2 * N }, (_, i) => Math.sin(3 * X[i]!)),
  jacobian: Float32Array.from({ length: 4 * N }, (_, i) => Math.cos(i)),
};
const WEIGHTS = Float32Array.of(2, 0.5, 1, 4);

Deno.test("RefitObjective.lossAndGradient() gives the same loss and gradient whatever the chunk size", async () => {
  await initTf();
  const onnx = tinyMlp();
  const model = buildTfModel(onnx);
  const plan = planFromInitializers(onnx);
  const results = [5, 16, 1024].map((chunk) => {
    const objective = new RefitObjective(model, plan, {
      lambda: 0.7,
      entryWeights: WEIGHTS,
      chunk,
    });
    const t = toTensorSet(set, 2, 2);
    const out = objective.lossAndGradient(t);
    disposeSet(t);
    objective.dispose();
    return out;
  });
  model.dispose();
  const [a, b, c] = results;
  const scale = Math.max(...c!.gradient.map(Math.abs));
  for (const r of [a!, b!]) {
    assertAlmostEquals(r.parts.total, c!.parts.total, CHUNK_RTOL.float32 * c!.parts.total);
    assertAlmostEquals(r.parts.value, c!.parts.value, CHUNK_RTOL.float32 * c!.parts.value);
    r.gradient.forEach((g, i) =>
      assertAlmostEquals(g, c!.gradient[i]!, CHUNK_RTOL.float32 * scale)
    );
  }
  assertAlmostEquals(
    c!.parts.total,
    c!.parts.value + 0.7 * c!.parts.jacobian,
    1e-6 * c!.parts.total,
  );
  assertEquals(c!.gradient.length, 6 + 3 + 6);
});

Deno.test("RefitObjective.write() then read() round-trips the variables, and the loss follows them", async () => {
  await initTf();
  const onnx = tinyMlp();
  const model = buildTfModel(onnx);
  const objective = new RefitObjective(model, planFromInitializers(onnx), {
    lambda: 1,
    entryWeights: WEIGHTS,
    chunk: 64,
  });
  const t = toTensorSet(set, 2, 2);
  const start = objective.read();
  const moved = start.map((v, i) => v + 0.01 * (i % 3));
  objective.write(moved);
  assertEquals(Array.from(objective.read()), Array.from(Float32Array.from(moved)));
  const lossMoved = objective.lossAndGradient(t).parts.total;
  objective.write(start);
  const lossStart = objective.lossAndGradient(t).parts.total;
  assertEquals(lossMoved === lossStart, false);
  disposeSet(t);
  objective.dispose();
  model.dispose();
});

Deno.test("scoreHeldOut() computes the training loss's formula on the host, and row-normalized errors in physical units", async () => {
  await initTf();
  const onnx = tinyMlp();
  const model = buildTfModel(onnx);
  const objective = new RefitObjective(model, planFromInitializers(onnx), {
    lambda: 0.7,
    entryWeights: WEIGHTS,
    chunk: 64,
  });
  const t = toTensorSet(set, 2, 2);
  const tfLoss = tf.tidy(() => {
    const l = objective.loss(t);
    return [l.total, l.value, l.jacobian].map((v) => v.dataSync()[0]!);
  });
  const data: RefitData = {
    source: "inline",
    points: N,
    inputs: ["x1", "x2"],
    outputs: ["y1", "y2"],
    x: Float64Array.from(set.x),
    values: Float64Array.from(set.y),
    jacobian: Float64Array.from(set.jacobian),
  };
  const model_ = objective.valuesAndJacobians(set.x);
  const score = scoreHeldOut(model_, data, identityScaling(2, 2), {
    lambda: 0.7,
    entryWeights: WEIGHTS,
  });
  assertAlmostEquals(score.loss.total, tfLoss[0]!, HOST_LOSS_RTOL.float32 * tfLoss[0]!);
  assertAlmostEquals(score.loss.value, tfLoss[1]!, HOST_LOSS_RTOL.float32 * tfLoss[1]!);
  assertAlmostEquals(score.loss.jacobian, tfLoss[2]!, HOST_LOSS_RTOL.float32 * tfLoss[2]!);
  // worst row-normalized error of output 1 by hand
  let worst = 0, scale = 0;
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < 2; j++) {
      const at = (k * 2 + 0) * 2 + j;
      worst = Math.max(worst, Math.abs(model_.jacobian[at]! - data.jacobian![at]!));
      scale = Math.max(scale, Math.abs(data.jacobian![at]!));
    }
  }
  assertAlmostEquals(score.jacobianError[0]!, worst / scale, 1e-12);
  disposeSet(t);
  objective.dispose();
  model.dispose();
});

/** Forward mode (derivative graph) vs reverse over reverse: float32 sums in another order. */
const MODE_RTOL = { float32: 2e-5 } as const;

Deno.test("RefitObjective: the derivative graph gives reverse mode's loss, gradient and Jacobians (bundled models, state_dict weights)", async () => {
  await initTf();
  for (const name of ["fastkan", "effkan", "mlp"]) {
    const paths = bundledPaths(name);
    const onnx = await loadOnnxModel(paths.onnx);
    const dict = await loadStateDict(paths.pth);
    const plan = planFromStateDict(mapStateDict(onnx, dict), dict);
    const model = buildTfModel(onnx);
    const compiled = await compileJacobianGraph(onnx);
    if (!("graph" in compiled)) throw new Error(`${name}: ${compiled.reason}`);
    const points = 48;
    const x = Float32Array.from({ length: 4 * points }, (_, i) => (i * 0.618034) % 1);
    const nset = {
      points,
      x,
      y: Float32Array.from({ length: 4 * points }, (_, i) => Math.sin(i)),
      jacobian: Float32Array.from({ length: 16 * points }, (_, i) => Math.cos(0.3 * i)),
    };
    const run = (jacobianGraph?: JacobianGraph) => {
      const objective = new RefitObjective(model, plan, {
        lambda: 0.5,
        entryWeights: Float32Array.from({ length: 16 }, (_, i) => 1 + (i % 3)),
        chunk: 20,
        ...(jacobianGraph ? { jacobianGraph } : {}),
      });
      // Move every weight so that the overrides, not the file's values, are differentiated.
      objective.write(objective.read().map((v, i) => v * (1 + 0.05 * Math.sin(i))));
      const t = toTensorSet(nset, 4, 4);
      const out = { ...objective.lossAndGradient(t), at: objective.valuesAndJacobians(x) };
      assertEquals(objective.jacobianMode, jacobianGraph ? "forward" : "reverse");
      disposeSet(t);
      objective.dispose();
      return out;
    };
    const reverse = run();
    const forward = run(compiled.graph);
    compiled.graph.graph.dispose();
    model.dispose();
    assertAlmostEquals(
      forward.parts.total,
      reverse.parts.total,
      MODE_RTOL.float32 * reverse.parts.total,
    );
    const scale = Math.max(...reverse.gradient.map(Math.abs));
    forward.gradient.forEach((g, i) =>
      assertAlmostEquals(
        g,
        reverse.gradient[i]!,
        MODE_RTOL.float32 * scale,
        `${name} gradient ${i}`,
      )
    );
    const jscale = Math.max(...reverse.at.jacobian.map(Math.abs));
    forward.at.jacobian.forEach((v, i) =>
      assertAlmostEquals(v, reverse.at.jacobian[i]!, MODE_RTOL.float32 * jscale, `${name} J ${i}`)
    );
  }
});

Deno.test("compileJacobianGraph() names why a fixed-batch model keeps reverse mode", async () => {
  const onnx = tinyMlp();
  const compiled = await compileJacobianGraph({ ...onnx, input: { ...onnx.input, batch: 16 } });
  assertEquals("reason" in compiled && compiled.reason, "the model runs in fixed batches of 16");
});
