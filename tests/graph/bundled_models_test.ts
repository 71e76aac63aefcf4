/**
 * The bundled PyTorch-trained models: the tfjs rebuild, onnxruntime float32
 * and the onnxruntime float64 copy against PyTorch's saved values in
 * oracle.json. Errors are measured relative to each output's range over the
 * oracle points (max - min of that column of outputs_normalized).
 */
import { buildTfModel } from "../../lib/graph/tf_model.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import { createOrtRunner } from "../../lib/onnx/ort_runner.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { assertEquals, assertLessOrEqual } from "../_assert.ts";

/** float32 forwards (tfjs, onnxruntime, PyTorch float32), relative to each output's range. */
const FORWARD_TOL = { float32: 1e-5 } as const;
/**
 * onnxruntime's float64 copy of the graph vs PyTorch `model.double()`, relative
 * to each output's range. 1e-9 where the graph holds the weights exactly (mlp).
 * FastKAN and efficient-KAN graphs also hold constants that the exporter stored
 * in float32 while PyTorch keeps them in float64: FastKAN's RBF denominator 4/7
 * and LayerNorm epsilon, efficient-KAN's constant-folded grid differences
 * (0.4000001 for 0.4) and spline_weight·spline_scaler products. Measured:
 * 7.5e-8 (fastkan, fastkan_op13) and 1.6e-8 (effkan); the bound leaves 2x.
 */
const FLOAT64_TOL: Record<string, number> = {
  mlp: 1e-9,
  effkan: 4e-8,
  fastkan: 1.5e-7,
  fastkan_op13: 1.5e-7,
};
/**
 * float32 reverse-mode Jacobian vs PyTorch's float64 autograd Jacobian,
 * relative to the largest |entry| of that (output, input) pair over the points
 * (float32 gradients; FastKAN's first LayerNorm is steep where the 4 inputs are
 * nearly equal, measured 1.2e-4 there, 1.5e-6 for effkan, 6.7e-7 for mlp).
 */
const JACOBIAN_TOL = { float32: 1e-3 } as const;

const MODELS = ["fastkan", "effkan", "mlp", "fastkan_op13"];

interface Oracle {
  points_normalized: number[][];
  outputs_normalized: number[][];
  outputs_float32: number[][];
  jacobian_normalized: number[][][];
}

function maxScaledError(actual: ArrayLike<number>, expected: number[][], range: number[]): number {
  let worst = 0;
  expected.forEach((row, k) =>
    row.forEach((v, j) => {
      worst = Math.max(worst, Math.abs(actual[k * row.length + j]! - v) / range[j]!);
    })
  );
  return worst;
}

for (const name of MODELS) {
  Deno.test(`buildTfModel() and createOrtRunner() reproduce PyTorch's outputs for the bundled ${name}`, async () => {
    await initTf();
    const dir = new URL(`../../data/models/${name}/`, import.meta.url);
    const model = await loadOnnxModel(new URL("model.onnx", dir).pathname);
    const oracle = JSON.parse(await Deno.readTextFile(new URL("oracle.json", dir))) as Oracle;
    const points = oracle.points_normalized.length;
    const n = model.input.width;
    const m = model.output.width;
    assertEquals([n, m], [4, 4]);
    const x = Float64Array.from(oracle.points_normalized.flat());
    const range = Array.from({ length: m }, (_, j) => {
      const col = oracle.outputs_normalized.map((r) => r[j]!);
      return Math.max(...col) - Math.min(...col);
    });

    const tfModel = buildTfModel(model);
    const r32 = await createOrtRunner(model);
    const r64 = await createOrtRunner(model, { dtype: "float64" });
    try {
      const yTf = tf.tidy(() =>
        tfModel.apply(tf.tensor2d(Float32Array.from(x), [points, n])).dataSync()
      );
      const y32 = await r32.run(x, points);
      const y64 = await r64.run(x, points);
      const rows = (a: ArrayLike<number>) =>
        Array.from(
          { length: points },
          (_, k) => Array.from({ length: m }, (_, j) => a[k * m + j]!),
        );

      assertLessOrEqual(
        maxScaledError(yTf, rows(y32), range),
        FORWARD_TOL.float32,
        "tfjs vs onnxruntime",
      );
      assertLessOrEqual(
        maxScaledError(yTf, oracle.outputs_float32, range),
        FORWARD_TOL.float32,
        "tfjs vs PyTorch float32",
      );
      assertLessOrEqual(
        maxScaledError(y32, oracle.outputs_float32, range),
        FORWARD_TOL.float32,
        "onnxruntime vs PyTorch float32",
      );
      assertLessOrEqual(
        maxScaledError(y64, oracle.outputs_normalized, range),
        FLOAT64_TOL[name]!,
        "onnxruntime float64 vs PyTorch float64",
      );

      // Reverse-mode Jacobian of the rebuild, one backward pass per output over the whole batch.
      const jac = tf.tidy(() => {
        const xt = tf.tensor2d(Float32Array.from(x), [points, n]);
        return Array.from(
          { length: m },
          (_, i) =>
            tf.grad((v: tf.Tensor) =>
              tf.sum(tf.slice(tfModel.apply(v as tf.Tensor2D), [0, i], [points, 1]))
            )(xt)
              .dataSync(),
        );
      });
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const ref = oracle.jacobian_normalized.map((J) => J[i]![j]!);
          const scale = Math.max(...ref.map(Math.abs));
          const worst = Math.max(...ref.map((v, k) => Math.abs(jac[i]![k * n + j]! - v)));
          assertLessOrEqual(worst / scale, JACOBIAN_TOL.float32, `dy${i + 1}/dx${j + 1}`);
        }
      }
    } finally {
      tfModel.dispose();
      await r32.release();
      await r64.release();
    }
  });
}
