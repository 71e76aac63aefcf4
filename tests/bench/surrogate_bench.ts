/**
 * What a Jacobian of a bundled model costs, by method, at the 200 held-out
 * points: float32 reverse-mode autodiff through the tfjs rebuild (wasm) vs
 * float64 central differences of the onnxruntime copy (2·n batched forward
 * calls), and the float32 forwards of both engines. One group per question.
 *
 * @module
 */
import { readNumericCsv } from "../../lib/io/table.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";
import { initTf } from "../../lib/tf/backend.ts";

await initTf();
const data = new URL("../../data/", import.meta.url).pathname;
const x = (await readNumericCsv(`${data}seed/olhs_input.csv`)).data;
const scaling = `${data}seed/olhs_samples_max_min.csv`;

for (const name of ["fastkan", "effkan", "mlp"]) {
  const model = await loadSurrogate(`${data}models/${name}/model.onnx`, { scaling });
  // Build the engines outside the measured functions.
  await model.jacobian(x);
  await model.jacobian(x, { method: "fd" });
  Deno.bench(`${name}: autodiff, tfjs float32`, {
    group: `${name} Jacobian, 200 points`,
    baseline: true,
  }, async () => {
    await model.jacobian(x);
  });
  Deno.bench(`${name}: central differences, onnxruntime float64`, {
    group: `${name} Jacobian, 200 points`,
  }, async () => {
    await model.jacobian(x, { method: "fd" });
  });
  Deno.bench(`${name}: forward, onnxruntime float32`, {
    group: `${name} forward, 200 points`,
    baseline: true,
  }, async () => {
    await model.predict(x);
  });
  Deno.bench(
    `${name}: forward, tfjs float32`,
    { group: `${name} forward, 200 points` },
    async () => {
      await model.predict(x, { engine: "tf" });
    },
  );
}
