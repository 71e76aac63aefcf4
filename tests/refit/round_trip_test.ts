import { assertAlmostEquals, assertEquals } from "../_assert.ts";
import { bundledPaths, flat } from "../_bundled.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";

/** float32 engines vs PyTorch float64 outputs, as a fraction of each output's range. */
const OUTPUT_TOLERANCE = { float32: 1e-5 } as const;
/** float32 reverse mode vs PyTorch float64 Jacobians, as a fraction of the output row's largest entry. */
const JACOBIAN_TOLERANCE = { float32: 1e-4 } as const;

interface PyTorchFixture {
  load_state_dict: string;
  points_physical: number[][];
  outputs_physical: number[][];
  jacobian_physical: number[][][];
}

for (const name of ["fastkan", "mlp"]) {
  Deno.test(`refit ONNX of ${name} in onnxruntime and tfjs matches PyTorch loading the refit safetensors`, async () => {
    const dir = new URL(`../testdata/refit/${name}/`, import.meta.url).pathname;
    const fixture = JSON.parse(await Deno.readTextFile(`${dir}pytorch.json`)) as PyTorchFixture;
    assertEquals(fixture.load_state_dict, "strict=True");
    const x = flat(fixture.points_physical);
    const want = flat(fixture.outputs_physical);
    const wantJac = flat(fixture.jacobian_physical);
    const N = fixture.points_physical.length;
    // The refit ONNX on its own, and the original ONNX with the refit safetensors mapped onto it.
    const scaling = bundledPaths(name).scaling;
    const models = [
      await loadSurrogate(`${dir}model.onnx`, { scaling }),
      await loadSurrogate(bundledPaths(name).onnx, {
        scaling,
        weights: `${dir}model.safetensors`,
      }),
    ];
    for (const model of models) {
      const m = model.outputs.length;
      const n = model.inputs.length;
      const ranges = model.scaling.outputs.map((s) => 1 / s.scale);
      for (const engine of ["ort", "tf"] as const) {
        const y = await model.predict(x, { engine });
        for (let k = 0; k < N; k++) {
          for (let i = 0; i < m; i++) {
            assertAlmostEquals(
              y[k * m + i]!,
              want[k * m + i]!,
              OUTPUT_TOLERANCE.float32 * ranges[i]!,
              `${engine} output ${i} at point ${k}`,
            );
          }
        }
      }
      const jac = await model.jacobian(x);
      for (let i = 0; i < m; i++) {
        let rowScale = 0;
        for (let k = 0; k < N; k++) {
          for (let j = 0; j < n; j++) {
            rowScale = Math.max(rowScale, Math.abs(wantJac[(k * m + i) * n + j]!));
          }
        }
        for (let k = 0; k < N; k++) {
          for (let j = 0; j < n; j++) {
            const at = (k * m + i) * n + j;
            assertAlmostEquals(
              jac.values[at]!,
              wantJac[at]!,
              JACOBIAN_TOLERANCE.float32 * rowScale,
              `d${i}/d${j} at ${k}`,
            );
          }
        }
      }
      await model.dispose();
    }
  });
}
