import { assert, assertEquals, assertLessOrEqual, assertThrows } from "../_assert.ts";
import * as ort from "onnxruntime-node";
import { encodeOnnxModel, loadOnnxModel, replaceInitializers } from "../../lib/onnx/model.ts";
import type { OnnxModel } from "../../lib/onnx/model.ts";
import { applyStateDict } from "../../lib/weights/apply.ts";
import { loadStateDict } from "../../lib/weights/load.ts";
import { mapStateDict } from "../../lib/weights/map.ts";
import {
  type StateDict,
  type StateTensor,
  WeightMappingError,
} from "../../lib/weights/state_dict.ts";

const MODELS = new URL("../../data/models/", import.meta.url);
const BUNDLED = ["fastkan", "effkan", "mlp", "fastkan_op13"] as const;

/**
 * Largest error of the float32 onnxruntime model against PyTorch's float64 outputs,
 * relative to each output's range over the oracle points (normalized units).
 * float32 rounding through a few layers stays well below it.
 */
const OUTPUT_TOLERANCE = { float32: 1e-5 } as const;

interface Oracle {
  points_normalized: number[][];
  perturbed: { files: string[]; outputs_normalized: number[][] };
}

const path = (name: string, file: string) => new URL(`${name}/${file}`, MODELS).pathname;

async function runOrt(model: OnnxModel, points: number[][]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeOnnxModel(model));
  try {
    const n = model.input.width;
    const x = new ort.Tensor("float32", Float32Array.from(points.flat()), [points.length, n]);
    const result = await session.run({ [model.input.name]: x });
    return result[model.output.name]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** max over outputs of max_k |got - want| / (max_k want - min_k want). */
function rangeRelativeError(got: Float32Array, want: number[][]): number {
  const m = want[0]!.length;
  let worst = 0;
  for (let j = 0; j < m; j++) {
    const column = want.map((row) => row[j]!);
    const range = Math.max(...column) - Math.min(...column);
    for (let k = 0; k < want.length; k++) {
      worst = Math.max(worst, Math.abs(got[k * m + j]! - column[k]!) / range);
    }
  }
  return worst;
}

Deno.test("applyStateDict() with the original weights reproduces every initializer it touches bit for bit", async (t) => {
  for (const name of BUNDLED) {
    await t.step(name, async () => {
      const model = await loadOnnxModel(path(name, "model.onnx"));
      const dict = await loadStateDict(path(name, "model.pth"));
      const map = mapStateDict(model, dict);
      const values = applyStateDict(model, dict, map);
      const touched = map.initializers.filter((i) => i.source.kind !== "constant");
      assertEquals([...values.keys()].sort(), touched.map((i) => i.name).sort());
      for (const [init, value] of values) {
        const original = model.initializers.get(init)!;
        assertEquals(value.dims, original.dims, init);
        assertEquals(value.dataType, original.dataType, init);
        assertEquals(value.data, original.data, init);
      }
    });
  }
});

Deno.test("applyStateDict() with the perturbed weights matches PyTorch's perturbed outputs in onnxruntime", async (t) => {
  for (const name of BUNDLED) {
    const model = await loadOnnxModel(path(name, "model.onnx"));
    const map = mapStateDict(model, await loadStateDict(path(name, "model.pth")));
    const oracle: Oracle = JSON.parse(await Deno.readTextFile(path(name, "oracle.json")));
    const before = rangeRelativeError(
      await runOrt(model, oracle.points_normalized),
      oracle.perturbed.outputs_normalized,
    );
    for (const file of oracle.perturbed.files) {
      await t.step(`${name} ${file}`, async () => {
        const perturbed = await loadStateDict(path(name, file));
        const edited = replaceInitializers(model, applyStateDict(model, perturbed, map));
        const y = await runOrt(edited, oracle.points_normalized);
        assertLessOrEqual(
          rangeRelativeError(y, oracle.perturbed.outputs_normalized),
          OUTPUT_TOLERANCE.float32,
        );
      });
    }
    // The oracle can fail: the unperturbed model is far from the perturbed outputs.
    assert(before > 100 * OUTPUT_TOLERANCE.float32, `${name}: perturbation too small (${before})`);
  }
});

function withTensor(dict: StateDict, key: string, tensor: StateTensor): StateDict {
  return new Map([...dict].map(([k, v]) => [k, k === key ? tensor : v]));
}

Deno.test("applyStateDict() rejects a wrong shape, an extra key and a missing key, naming the key", async () => {
  const model = await loadOnnxModel(path("fastkan", "model.onnx"));
  const dict = await loadStateDict(path("fastkan", "model.pth"));
  const map = mapStateDict(model, dict);
  const key = "layers.1.spline_linear.weight";
  const wrong = withTensor(dict, key, {
    shape: [240, 30],
    dtype: "float32",
    data: new Float32Array(7200),
  });
  const e1 = assertThrows(
    () => applyStateDict(model, wrong, map),
    WeightMappingError,
    `state_dict key "${key}" has shape [240, 30] but the model expects [30, 240]`,
  );
  assertEquals(e1.key, key);
  const extra = new Map([...dict, ["layers.3.bias", {
    shape: [4],
    dtype: "float32" as const,
    data: new Float32Array(4),
  }]]);
  const e2 = assertThrows(
    () => applyStateDict(model, extra, map),
    WeightMappingError,
    'state_dict key "layers.3.bias" [4] is not a parameter of the model',
  );
  assertEquals(e2.key, "layers.3.bias");
  const missing = new Map([...dict].filter(([k]) => k !== "layers.0.base_linear.bias"));
  assertThrows(
    () => applyStateDict(model, missing, map),
    WeightMappingError,
    'the state_dict has no key "layers.0.base_linear.bias" [30]',
  );
});

Deno.test("applyStateDict() refuses different values for keys the exporter merged into one initializer", async () => {
  const model = await loadOnnxModel(path("effkan", "model.onnx"));
  const dict = await loadStateDict(path("effkan", "model.pth"));
  const map = mapStateDict(model, dict);
  const grid = dict.get("layers.2.grid")!;
  const shifted = { ...grid, data: (grid.data as Float32Array).map((v) => v + 0.125) };
  assertThrows(
    () => applyStateDict(model, withTensor(dict, "layers.2.grid", shifted), map),
    WeightMappingError,
    'state_dict key "layers.2.grid" must equal "layers.1.grid"',
  );
  // Layer 0's grid has its own constants: a new grid there is recomputed into every one of them.
  const grid0 = dict.get("layers.0.grid")!;
  const scaled = { ...grid0, data: (grid0.data as Float32Array).map((v) => v * 2) };
  const values = applyStateDict(model, withTensor(dict, "layers.0.grid", scaled), map);
  for (const init of map.initializers) {
    if (init.source.kind !== "derived" || init.source.from !== "layers.0.grid") continue;
    const before = model.initializers.get(init.name)!.data as Float32Array;
    const after = values.get(init.name)!.data as Float32Array;
    // Slices and knot differences double; reciprocals would halve (none are folded here).
    for (let i = 0; i < before.length; i++) {
      assertEquals(after[i], Math.fround(2 * before[i]!), init.name);
    }
  }
});

Deno.test("applyStateDict() asks for a re-export without constant folding when an initializer matches no recipe", async () => {
  const model = await loadOnnxModel(path("effkan", "model.onnx"));
  const dict = await loadStateDict(path("effkan", "model.pth"));
  // Without the spline weights and scalers, the fused initializers cannot be explained.
  const partial = new Map([...dict].filter(([k]) => !/spline_(weight|scaler)$/.test(k)));
  const map = mapStateDict(model, partial);
  const unmatched = map.initializers.filter((i) => i.source.kind === "unmatched");
  assertEquals(unmatched.length, 3);
  assertThrows(
    () => applyStateDict(model, partial, map),
    WeightMappingError,
    `initializer "${unmatched[0]!.name}"`,
  );
  assertThrows(
    () => applyStateDict(model, partial, map),
    WeightMappingError,
    "do_constant_folding=False",
  );
  assertEquals(applyStateDict(model, partial, map, { allowUnmatched: true }).size, 34 - 3);
});
