import { assert, assertEquals, assertLessOrEqual, assertThrows } from "../_assert.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { applyStateDict } from "../../lib/weights/apply.ts";
import { initializerFromParameters } from "../../lib/weights/differentiable.ts";
import { loadStateDict } from "../../lib/weights/load.ts";
import { mapStateDict, type WeightMap } from "../../lib/weights/map.ts";
import { type StateDict, toFloat64, WeightMappingError } from "../../lib/weights/state_dict.ts";

/** tfjs float32 ops vs the host recipe (also float32, per-step rounding): relative to max|value|. */
const VALUE_TOLERANCE = { float32: 1e-6 } as const;

const MODELS = new URL("../../data/models/", import.meta.url);
const path = (name: string, file: string) => new URL(`${name}/${file}`, MODELS).pathname;

function toTensors(dict: StateDict): Map<string, tf.Tensor> {
  return new Map(
    [...dict].map((
      [k, v],
    ) => [k, tf.tensor(Float32Array.from(toFloat64(v)), [...v.shape], "float32")]),
  );
}

Deno.test("initializerFromParameters() reproduces every mapped initializer of the bundled models", async (t) => {
  await initTf();
  for (const name of ["fastkan", "effkan"]) {
    await t.step(name, async () => {
      const model = await loadOnnxModel(path(name, "model.onnx"));
      const dict = await loadStateDict(path(name, "model_perturbed.safetensors"));
      const map = mapStateDict(model, await loadStateDict(path(name, "model.pth")));
      const expected = applyStateDict(model, dict, map);
      const params = toTensors(dict);
      try {
        for (const [init, value] of expected) {
          const got = initializerFromParameters(map, init, params);
          assertEquals(got.shape, [...value.dims], init);
          const data = got.dataSync();
          got.dispose();
          const want = value.data as Float32Array;
          const scale = Math.max(...want.map(Math.abs));
          let worst = 0;
          for (let i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(data[i]! - want[i]!));
          }
          assertLessOrEqual(worst, VALUE_TOLERANCE.float32 * scale, init);
        }
      } finally {
        tf.dispose([...params.values()]);
      }
    });
  }
});

Deno.test("initializerFromParameters() passes gradients through efficient-KAN's fused spline weight", async () => {
  await initTf();
  const model = await loadOnnxModel(path("effkan", "model.onnx"));
  const dict = await loadStateDict(path("effkan", "model.pth"));
  const map = mapStateDict(model, dict);
  const fused = map.initializers.find((i) =>
    i.source.kind === "fused" && i.source.parts.includes("layers.0.spline_weight")
  )!;
  assert(fused !== undefined);
  const [rows, cols] = fused.dims as [number, number]; // [in * coeff, out]
  const weight = dict.get("layers.0.spline_weight")!; // [out, in, coeff]
  const scaler = dict.get("layers.0.spline_scaler")!; // [out, in]
  const [out, inputs, coeff] = weight.shape as [number, number, number];
  assertEquals([rows, cols], [inputs * coeff, out]);
  // L = Σ fused ⊙ M; dL/dscaler[o, i] = Σ_c w[o, i, c] M[i·C + c, o]; dL/dw[o, i, c] = s[o, i] M[i·C + c, o].
  const m = Float32Array.from({ length: rows * cols }, (_, k) => Math.sin(0.37 * k));
  const w = toFloat64(weight);
  const s = toFloat64(scaler);
  const params = toTensors(dict);
  const M = tf.tensor2d(m, [rows, cols]);
  const wVar = params.get("layers.0.spline_weight")!;
  const sVar = params.get("layers.0.spline_scaler")!;
  const grads = tf.grads((wt: tf.Tensor, st: tf.Tensor) => {
    const p = new Map(params);
    p.set("layers.0.spline_weight", wt);
    p.set("layers.0.spline_scaler", st);
    return tf.sum(tf.mul(initializerFromParameters(map, fused.name, p), M));
  })([wVar, sVar]);
  const gw = grads[0]!.dataSync();
  const gs = grads[1]!.dataSync();
  let worst = 0;
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inputs; i++) {
      let ds = 0;
      for (let c = 0; c < coeff; c++) {
        const mv = m[(i * coeff + c) * cols + o]!;
        ds += w[(o * inputs + i) * coeff + c]! * mv;
        const dw = s[o * inputs + i]! * mv;
        worst = Math.max(
          worst,
          Math.abs(gw[(o * inputs + i) * coeff + c]! - dw) / (Math.abs(dw) + 1),
        );
      }
      worst = Math.max(worst, Math.abs(gs[o * inputs + i]! - ds) / (Math.abs(ds) + 1));
    }
  }
  tf.dispose([...grads, M, ...params.values()]);
  assertLessOrEqual(worst, VALUE_TOLERANCE.float32 * 10); // sums of 8 float32 products
});

Deno.test("initializerFromParameters() rejects constants, unknown names and missing parameters", async () => {
  await initTf();
  const model = await loadOnnxModel(path("fastkan", "model.onnx"));
  const dict = await loadStateDict(path("fastkan", "model.pth"));
  const map = mapStateDict(model, dict);
  assertThrows(() => initializerFromParameters(map, "nope", new Map()), RangeError, '"nope"');
  const key = map.keys.find((k) => k.relation === "transposed")!;
  assertThrows(
    () => initializerFromParameters(map, key.initializers[0]!, new Map()),
    WeightMappingError,
    `no parameter "${key.key}"`,
  );
  const wrong = new Map([[key.key, tf.zeros([2, 2])]]);
  assertThrows(
    () => initializerFromParameters(map, key.initializers[0]!, wrong),
    WeightMappingError,
    `parameter "${key.key}" has shape [2, 2] but the model expects [${key.shape.join(", ")}]`,
  );
  tf.dispose([...wrong.values()]);
  const constant: WeightMap = {
    model: "inline",
    keys: [],
    initializers: [{
      name: "eps",
      dims: [],
      dataType: 1,
      sharedBy: [],
      source: { kind: "constant" },
    }],
  };
  assertThrows(
    () => initializerFromParameters(constant, "eps", new Map()),
    RangeError,
    "a graph constant",
  );
});
