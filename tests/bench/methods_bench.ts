/**
 * What the forward pass and the Jacobian of a bundled model cost, per engine
 * and method, at 1,000 and 100,000 points (physical units, the seed case's
 * ranges): the derivative graph in onnxruntime (float32, float64) against
 * reverse-mode autodiff through the tfjs rebuild and float64 central
 * differences, and the onnxruntime forward against the tfjs one. One group per
 * model, size and question; the 100,000-point cases run a few times only.
 *
 * @module
 */
import { mulberry32 } from "../../lib/sampling/prng.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";

const data = new URL("../../data/", import.meta.url).pathname;
const scaling = `${data}seed/olhs_samples_max_min.csv`;
const SIZES = [1000, 100000] as const;

/** Points uniform in the seed case's input box [0.5, 2.5]^4, seeded. */
function points(count: number): Float64Array {
  const rand = mulberry32(7);
  return Float64Array.from({ length: count * 4 }, () => 0.5 + 2 * rand());
}

for (const name of ["fastkan", "effkan", "mlp"]) {
  const model = await loadSurrogate(`${data}models/${name}/model.onnx`, { scaling });
  // Build every engine outside the measured functions.
  const warm = points(8);
  await model.jacobian(warm, { method: "graph" });
  await model.jacobian(warm, { method: "graph", dtype: "float64" });
  await model.jacobian(warm, { method: "autodiff" });
  await model.jacobian(warm, { method: "fd" });
  await model.predict(warm, { engine: "tf" });
  for (const size of SIZES) {
    const x = points(size);
    const slow = size > 10000 ? { n: 3, warmup: 1 } : {};
    const group = `${name} Jacobian, ${size} points`;
    Deno.bench(`${name}: derivative graph, onnxruntime float32 (${size})`, {
      group,
      baseline: true,
      ...slow,
    }, async () => {
      await model.jacobian(x, { method: "graph" });
    });
    Deno.bench(`${name}: derivative graph, onnxruntime float64 (${size})`, {
      group,
      ...slow,
    }, async () => {
      await model.jacobian(x, { method: "graph", dtype: "float64" });
    });
    Deno.bench(`${name}: reverse-mode autodiff, tfjs float32 (${size})`, {
      group,
      ...slow,
    }, async () => {
      await model.jacobian(x, { method: "autodiff" });
    });
    Deno.bench(`${name}: central differences, onnxruntime float64 (${size})`, {
      group,
      ...slow,
    }, async () => {
      await model.jacobian(x, { method: "fd" });
    });
    const forward = `${name} forward, ${size} points`;
    Deno.bench(`${name}: forward, onnxruntime float32 (${size})`, {
      group: forward,
      baseline: true,
      ...slow,
    }, async () => {
      await model.predict(x);
    });
    Deno.bench(
      `${name}: forward, tfjs float32 (${size})`,
      { group: forward, ...slow },
      async () => {
        await model.predict(x, { engine: "tf" });
      },
    );
  }
}
