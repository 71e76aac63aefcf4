/**
 * Real torch.onnx.export graphs with constant folding off at opsets 13 and 17
 * (tests/testdata/onnx, made by make_torch_exports.py): FastKAN, efficient-KAN
 * and an MLP with every activation torch exports as a single op. The tfjs
 * rebuild, onnxruntime float32 and the float64 copy against PyTorch's values.
 */
import { buildTfModel } from "../../lib/graph/tf_model.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import { createOrtRunner } from "../../lib/onnx/ort_runner.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { assertLessOrEqual } from "../_assert.ts";
import { autodiffJacobian } from "./_tiny_graph.ts";

/** float32 forwards vs PyTorch float32, absolute (outputs are O(1)). */
const FORWARD_TOL = { float32: 2e-6 } as const;
/**
 * onnxruntime float64 copy vs PyTorch float64, absolute, by family. Without
 * constant folding the efficient-KAN graph holds only the weights and agrees
 * exactly (measured 2.8e-17). FastKAN's graph holds its RBF denominator (4/7)
 * and LayerNorm epsilon as float32 (measured 1.6e-8); the mixed MLP its GELU
 * constant 1/sqrt(2), epsilons and activation attributes (measured 3.2e-9).
 */
const FLOAT64_TOL: Record<string, number> = { effkan: 1e-13, fastkan: 1e-7, mixed_mlp: 2e-8 };
/** float32 reverse-mode Jacobian vs PyTorch float64 autograd, relative to max(1, max |J|). */
const JACOBIAN_TOL = { float32: 2e-4 } as const;

interface Summary {
  points: number[][];
  models: Record<
    string,
    { outputs_float32: number[][]; outputs_float64: number[][]; jacobian_float64: number[][][] }
  >;
}

const dir = new URL("../testdata/onnx/", import.meta.url);
const summary = JSON.parse(await Deno.readTextFile(new URL("torch_exports.json", dir))) as Summary;

function maxAbsDiff(a: ArrayLike<number>, b: number[][]): number {
  let worst = 0;
  const m = b[0]!.length;
  b.forEach((row, k) =>
    row.forEach((v, j) => (worst = Math.max(worst, Math.abs(a[k * m + j]! - v))))
  );
  return worst;
}

for (const [file, ref] of Object.entries(summary.models)) {
  Deno.test(`buildTfModel() and toFloat64() reproduce PyTorch on the unfolded export ${file}`, async () => {
    await initTf();
    const model = await loadOnnxModel(new URL(file, dir).pathname);
    const points = summary.points.length;
    const x = Float64Array.from(summary.points.flat());
    const tfModel = buildTfModel(model);
    const r32 = await createOrtRunner(model);
    const r64 = await createOrtRunner(model, { dtype: "float64" });
    try {
      const y32 = await r32.run(x, points);
      const y64 = await r64.run(x, points);
      assertLessOrEqual(
        maxAbsDiff(y32, ref.outputs_float32),
        FORWARD_TOL.float32,
        "onnxruntime float32",
      );
      const family = file.replace(/_op\d+\.onnx$/, "");
      assertLessOrEqual(
        maxAbsDiff(y64, ref.outputs_float64),
        FLOAT64_TOL[family]!,
        "onnxruntime float64",
      );
      const jac = await autodiffJacobian(tfModel, x, points);
      const yTf: number[] = [];
      tf.tidy(() =>
        yTf.push(...tfModel.apply(tf.tensor2d(Float32Array.from(x), [points, 3])).dataSync())
      );
      assertLessOrEqual(maxAbsDiff(yTf, ref.outputs_float32), FORWARD_TOL.float32, "tfjs float32");
      const scale = Math.max(1, ...ref.jacobian_float64.flat(2).map(Math.abs));
      let worst = 0;
      jac.forEach((rows, k) =>
        rows.forEach((row, i) =>
          row.forEach((
            v,
            j,
          ) => (worst = Math.max(worst, Math.abs(v - ref.jacobian_float64[k]![i]![j]!))))
        )
      );
      assertLessOrEqual(worst / scale, JACOBIAN_TOL.float32, "tfjs Jacobian");
    } finally {
      tfModel.dispose();
      await r32.release();
      await r64.release();
    }
  });
}
