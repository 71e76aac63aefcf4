import { assert, assertEquals, assertThrows } from "../_assert.ts";
import onnxProto from "onnx-proto";
import { decodeOnnxModel, loadOnnxModel } from "../../lib/onnx/model.ts";
import { loadStateDict } from "../../lib/weights/load.ts";
import {
  coverage,
  describeWeightMap,
  type KeyRelation,
  mapStateDict,
  type WeightMap,
} from "../../lib/weights/map.ts";
import { type StateTensor, toFloat64, WeightMappingError } from "../../lib/weights/state_dict.ts";

const MODELS = new URL("../../data/models/", import.meta.url);
const BUNDLED = ["fastkan", "effkan", "mlp", "fastkan_op13"] as const;

async function load(name: string) {
  const model = await loadOnnxModel(new URL(`${name}/model.onnx`, MODELS).pathname);
  const dict = await loadStateDict(new URL(`${name}/model.pth`, MODELS).pathname);
  return { model, dict, map: mapStateDict(model, dict) };
}

function relations(map: WeightMap): Record<string, KeyRelation> {
  return Object.fromEntries(map.keys.map((k) => [k.key, k.relation]));
}

function transpose2d(t: StateTensor): Float64Array {
  const [r, c] = t.shape as [number, number];
  const v = toFloat64(t);
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) out[j * r + i] = Math.fround(v[i * c + j]!);
  }
  return out;
}

Deno.test("mapStateDict() maps 100% of the keys of every bundled model", async (t) => {
  for (const name of BUNDLED) {
    await t.step(name, async () => {
      const { map } = await load(name);
      assertEquals(coverage(map), 1);
      for (const init of map.initializers) {
        assert(init.source.kind !== "unmatched", `${name}: ${init.name} is unmatched`);
        if ("exact" in init.source) assert(init.source.exact, `${name}: ${init.name} not exact`);
      }
    });
  }
});

Deno.test("mapStateDict() finds FastKAN's folded spline weights transposed and its shared grids", async () => {
  const { model, dict, map } = await load("fastkan");
  const rel = relations(map);
  for (let l = 0; l < 3; l++) {
    assertEquals(rel[`layers.${l}.spline_linear.weight`], "transposed");
    assertEquals(rel[`layers.${l}.base_linear.weight`], "name");
    assertEquals(rel[`layers.${l}.layernorm.weight`], "name");
    // The MatMul initializer holds exactly Wᵀ.
    const key = map.keys.find((k) => k.key === `layers.${l}.spline_linear.weight`)!;
    assertEquals(key.initializers.length, 1);
    const init = model.initializers.get(key.initializers[0]!)!;
    assert(key.initializers[0]!.startsWith("onnx::MatMul"));
    assertEquals(Float64Array.from(init.data as Float32Array), transpose2d(dict.get(key.key)!));
  }
  assertEquals(rel["layers.0.rbf.grid"], "name");
  assertEquals(rel["layers.1.rbf.grid"], "shared");
  assertEquals(rel["layers.2.rbf.grid"], "shared");
});

Deno.test("mapStateDict() finds efficient-KAN's fused spline weights and grid-derived knot constants", async () => {
  const { map } = await load("effkan");
  const rel = relations(map);
  for (let l = 0; l < 3; l++) {
    assertEquals(rel[`layers.${l}.spline_weight`], "fused");
    assertEquals(rel[`layers.${l}.spline_scaler`], "fused");
    assertEquals(rel[`layers.${l}.base_weight`], "transposed");
  }
  assertEquals(rel["layers.0.grid"], "derived");
  assertEquals(rel["layers.1.grid"], "derived");
  // Layers 1 and 2 have equal grids: the exporter kept one set of knot constants.
  assert(rel["layers.2.grid"] === "shared" || rel["layers.2.grid"] === "derived");
  const fused = map.initializers.filter((i) => i.source.kind === "fused");
  assertEquals(fused.length, 3);
  for (const init of fused) {
    assert(init.source.kind === "fused");
    assertEquals(init.source.parts.length, 2);
  }
  const derived = map.initializers.filter((i) => i.source.kind === "derived");
  assert(derived.length >= 14, `only ${derived.length} derived initializers`);
  const rows = describeWeightMap(map);
  assert(rows.some((r) => r.kind === "fused" && r.how.includes("spline_scaler[..., None]")));
});

Deno.test("mapStateDict() maps the MLP and the unfolded opset-13 FastKAN by name", async (t) => {
  for (const name of ["mlp", "fastkan_op13"]) {
    await t.step(name, async () => {
      const { map } = await load(name);
      for (const init of map.initializers) {
        assertEquals(init.source.kind, "param", init.name);
        assert(init.source.kind === "param" && init.source.key === init.name, init.name);
      }
      for (const key of map.keys) {
        // Equal grids are deduplicated by the exporter even without folding (Identity nodes).
        const expected = /^layers\.[12]\.rbf\.grid$/.test(key.key) ? "shared" : "name";
        assertEquals(key.relation, expected, key.key);
      }
    });
  }
});

// ---------------------------------------------------------------- synthetic graphs

const vi = (name: string, width: number) => ({
  name,
  type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: width }] } } },
});

/** y = (x · A) · B + c, with `A`, `B`, `c` initializers given as [name, dims, values]. */
function synthetic(inits: [string, number[], number[]][], nodes: object[]) {
  const bytes = onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      node: nodes,
      initializer: inits.map(([name, dims, values]) => ({
        name,
        dims,
        dataType: 1,
        floatData: values,
      })),
      input: [vi("x", 2)],
      output: [vi("y", 2)],
    },
  }).finish();
  return decodeOnnxModel(bytes, "synthetic.onnx");
}

const f32 = (shape: number[], values: number[]) => ({
  shape,
  dtype: "float32" as const,
  data: new Float32Array(values),
});

Deno.test("mapStateDict() reports constants, unmatched tensors and unmapped keys", () => {
  const model = synthetic(
    [
      ["w", [2, 2], [1, 2, 3, 4]],
      ["eps", [], [1e-5]],
      ["mystery", [2, 9], Array.from({ length: 18 }, (_, i) => i * 0.37)],
    ],
    [
      { opType: "MatMul", input: ["x", "w"], output: ["h"], name: "/fc/MatMul" },
      { opType: "Add", input: ["h", "eps"], output: ["y"], name: "/Add" },
    ],
  );
  const dict = new Map<string, StateTensor>([
    ["w", f32([2, 2], [1, 2, 3, 4])],
    ["other.weight", f32([3], [7, 8, 9])],
    ["num_batches_tracked", { shape: [], dtype: "int64" as const, data: new BigInt64Array([5n]) }],
  ]);
  const map = mapStateDict(model, dict);
  assertEquals(relations(map), {
    w: "name",
    "other.weight": "unmapped",
    num_batches_tracked: "unused",
  });
  assertEquals(map.initializers.map((i) => i.source.kind), ["param", "constant", "unmatched"]);
  assertEquals(coverage(map), 1 / 3);
  const rows = describeWeightMap(map);
  assertEquals(rows.map((r) => [r.initializer, r.kind]), [
    ["w", "param"],
    ["eps", "constant"],
    ["mystery", "unmatched"],
    ["", "unmapped"],
    ["", "unused"],
  ]);
});

Deno.test("mapStateDict() tells equal tensors apart by the module path of the consuming nodes", () => {
  // Two layers with identical weights, each folded to its own transposed initializer.
  const model = synthetic(
    [
      ["onnx::MatMul_7", [2, 2], [1, 3, 2, 4]],
      ["onnx::MatMul_9", [2, 2], [1, 3, 2, 4]],
    ],
    [
      { opType: "MatMul", input: ["x", "onnx::MatMul_7"], output: ["h"], name: "/layers.0/MatMul" },
      { opType: "MatMul", input: ["h", "onnx::MatMul_9"], output: ["y"], name: "/layers.1/MatMul" },
    ],
  );
  const w = f32([2, 2], [1, 2, 3, 4]);
  const map = mapStateDict(model, new Map([["layers.0.weight", w], ["layers.1.weight", w]]));
  assertEquals(
    map.keys.map((k) => [k.key, k.relation, k.initializers]),
    [
      ["layers.0.weight", "transposed", ["onnx::MatMul_7"]],
      ["layers.1.weight", "transposed", ["onnx::MatMul_9"]],
    ],
  );
});

Deno.test("mapStateDict() rejects a key whose initializer of the same name has another shape", () => {
  const model = synthetic([["w", [2, 2], [1, 2, 3, 4]]], [
    { opType: "MatMul", input: ["x", "w"], output: ["y"] },
  ]);
  const error = assertThrows(
    () => mapStateDict(model, new Map([["w", f32([4], [1, 2, 3, 4])]])),
    WeightMappingError,
    'state_dict key "w" has shape [4] but initializer "w" has shape [2, 2]',
  );
  assertEquals(error.key, "w");
});
