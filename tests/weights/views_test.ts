/**
 * Weights that reach the graph through views (slices, indexing, `.T`, `.reshape`,
 * `torch.cat`) or not at all (a buffer forward never reads), on real PyTorch
 * exports with torch's defaults (`tests/testdata/weights/make_views.py`), checked
 * against PyTorch's own float64 outputs and Jacobians for perturbed weights.
 */
import {
  assert,
  assertEquals,
  assertGreater,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import type { RefitData } from "../../lib/refit/data.ts";
import { refit } from "../../lib/refit/refit.ts";
import { writeRefit } from "../../lib/refit/write_back.ts";
import { loadSurrogate, type Surrogate } from "../../lib/surrogate/surrogate.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { applyStateDict } from "../../lib/weights/apply.ts";
import { initializerFromParameters } from "../../lib/weights/differentiable.ts";
import { loadStateDict } from "../../lib/weights/load.ts";
import { coverage, describeWeightMap, mapStateDict, rounding } from "../../lib/weights/map.ts";
import { mapWeights, needsExportedWeights, unusedKeys } from "../../lib/weights/map_weights.ts";
import { evaluateRecipe } from "../../lib/weights/recipe.ts";
import { WeightMappingError } from "../../lib/weights/state_dict.ts";

const DIR = new URL("../testdata/weights/", import.meta.url).pathname;
const path = (model: string, file: string) => `${DIR}${model}/${file}`;

/** float32 forward vs PyTorch float64, as a fraction of each output's range over the points. */
const FORWARD_TOLERANCE = { float32: 1e-5 } as const;
/** float32 autodiff vs PyTorch float64 autograd, as a fraction of each entry's range. */
const JACOBIAN_TOLERANCE = { float32: 1e-4 } as const;

interface Expected {
  keys: string[];
  x: number[][];
  exported: { y: number[][]; jacobian: number[][][] };
  perturbed: { y: number[][]; jacobian: number[][][] };
}

async function expected(model: string): Promise<Expected> {
  return JSON.parse(await Deno.readTextFile(path(model, "expected.json")));
}

/** max over columns of max |got − want| / range of want, for `[N, c]` row-major arrays. */
function rangeError(got: ArrayLike<number>, want: number[][]): number {
  const cols = want[0]!.length;
  let worst = 0;
  for (let c = 0; c < cols; c++) {
    const column = want.map((row) => row[c]!);
    const range = Math.max(...column) - Math.min(...column) || 1;
    column.forEach((v, k) => worst = Math.max(worst, Math.abs(got[k * cols + c]! - v) / range));
  }
  return worst;
}

/** Forward (onnxruntime, tfjs) and autodiff Jacobian errors against PyTorch's float64 values. */
async function errorsAgainst(surrogate: Surrogate, want: Expected["perturbed"], x: number[][]) {
  const points = Float64Array.from(x.flat());
  const ort = rangeError(await surrogate.predict(points), want.y);
  const tfjs = rangeError(await surrogate.predict(points, { engine: "tf" }), want.y);
  const jac = (await surrogate.jacobian(points)).values;
  const ad = rangeError(jac, want.jacobian.map((j) => j.flat()));
  return { ort, tfjs, ad };
}

Deno.test("mapStateDict() maps parameters used through slices, indexing, .T, reshape and torch.cat", async () => {
  const model = await loadOnnxModel(path("views", "model.onnx"));
  const dict = await loadStateDict(path("views", "model.pth"));
  const map = mapStateDict(model, dict);
  assertEquals(
    Object.fromEntries(map.keys.map((k) => [k.key, k.relation])),
    {
      coeffs: "sliced",
      biases: "sliced",
      mix: "transposed",
      head: "reshaped",
      skip_a: "fused",
      skip_b: "fused",
      gate: "name",
    },
  );
  assertEquals(coverage(map), 1);
  // Both slices of coeffs are their own initializers, found exactly.
  assertEquals(map.keys.find((k) => k.key === "coeffs")!.initializers.length, 2);
  for (const init of map.initializers) {
    assert("exact" in init.source && init.source.exact, init.name);
  }
  const how = describeWeightMap(map).map((r) => r.how);
  // gate is used six ways at once: by name, .T, .reshape, two slices and a concatenation.
  assertEquals(map.keys.find((k) => k.key === "gate")!.initializers.length, 6);
  for (
    const formula of [
      "coeffs[0:1]",
      "coeffs[1:2]",
      "biases[1]",
      "mix.T",
      "head.reshape(5, 3)",
      "gate.T",
      "gate.reshape(4, 5)",
      "gate[0:2]",
      "gate[2:5]",
      "torch.cat([gate, gate], 1)",
    ]
  ) {
    assert(how.some((h) => h.endsWith(formula)), `${formula} in ${how.join("; ")}`);
  }
  assert(how.includes("torch.cat([skip_a.T, skip_b.T], 0)"), how.join("; "));
});

Deno.test("loadSurrogate() applies perturbed sliced, indexed and concatenated weights as PyTorch does", async () => {
  await initTf();
  const want = await expected("views");
  const surrogate = await loadSurrogate(path("views", "model.onnx"), {
    weights: path("views", "perturbed.pth"),
  });
  try {
    assertEquals(surrogate.weights?.exportedPath, path("views", "model.pth"));
    const e = await errorsAgainst(surrogate, want.perturbed, want.x);
    assert(e.ort <= FORWARD_TOLERANCE.float32, `onnxruntime ${e.ort}`);
    assert(e.tfjs <= FORWARD_TOLERANCE.float32, `tfjs ${e.tfjs}`);
    assert(e.ad <= JACOBIAN_TOLERANCE.float32, `autodiff ${e.ad}`);
    // The perturbation moves the outputs far more than the tolerance: the weights did change.
    assertGreater(rangeError(Float64Array.from(want.exported.y.flat()), want.perturbed.y), 0.01);
  } finally {
    await surrogate.dispose();
  }
});

Deno.test("mapStateDict() reports a buffer forward never reads as unused, and the weights still apply", async () => {
  await initTf();
  const model = await loadOnnxModel(path("unused", "model.onnx"));
  const map = mapStateDict(model, await loadStateDict(path("unused", "model.pth")));
  const unused = map.keys.find((k) => k.key === "rbf.inv_denominator")!;
  assertEquals(unused.relation, "unused");
  assertEquals(unusedKeys(map).map((k) => k.key), ["rbf.inv_denominator"]);
  assertEquals(map.keys.find((k) => k.key === "spline.weight")!.relation, "transposed");
  assertEquals(
    describeWeightMap(map).filter((r) => r.kind === "unused").map((r) => r.keys),
    ["rbf.inv_denominator"],
  );

  const want = await expected("unused");
  const surrogate = await loadSurrogate(path("unused", "model.onnx"), {
    weights: path("unused", "perturbed.pth"),
  });
  try {
    // Besides the note that there is no scaling file: the unused key, once.
    const unused = surrogate.warnings.filter((w) => w.includes("is not used by"));
    assertEquals(unused.length, 1);
    assertStringIncludes(unused[0]!, '"rbf.inv_denominator" [] is not used by');
    const e = await errorsAgainst(surrogate, want.perturbed, want.x);
    assert(e.ort <= FORWARD_TOLERANCE.float32, `onnxruntime ${e.ort}`);
    assert(e.tfjs <= FORWARD_TOLERANCE.float32, `tfjs ${e.tfjs}`);
    assert(e.ad <= JACOBIAN_TOLERANCE.float32, `autodiff ${e.ad}`);
  } finally {
    await surrogate.dispose();
  }
});

/** A temporary folder holding only a copy of `model/file` as `model.onnx`. */
async function alone(model: string, file: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.copyFile(path(model, file), `${dir}/model.onnx`);
  return `${dir}/model.onnx`;
}

Deno.test("loadSurrogate() without model.pth beside a folded export says to give the exported weights", async () => {
  await initTf();
  const onnx = await alone("views", "model.onnx");
  try {
    const error = await assertRejects(
      () => loadSurrogate(onnx, { weights: path("views", "perturbed.pth") }),
      WeightMappingError,
    );
    for (
      const part of [
        "matched by value against the weights the file was exported with",
        "--exported-weights",
        "model.pth beside the model",
        '"onnx::Mul_',
      ]
    ) assertStringIncludes(error.message, part);
    assert(!error.message.includes("do_constant_folding"), error.message);

    const want = await expected("views");
    const surrogate = await loadSurrogate(onnx, {
      weights: path("views", "perturbed.pth"),
      exportedWeights: path("views", "model.pth"),
    });
    try {
      const e = await errorsAgainst(surrogate, want.perturbed, want.x);
      assert(
        e.ort <= FORWARD_TOLERANCE.float32 && e.ad <= JACOBIAN_TOLERANCE.float32,
        `${e.ort} ${e.ad}`,
      );
    } finally {
      await surrogate.dispose();
    }
  } finally {
    await Deno.remove(onnx.slice(0, -"/model.onnx".length), { recursive: true });
  }
});

Deno.test("loadSurrogate() maps an export without constant folding by name, with no exported weights", async () => {
  await initTf();
  const onnx = await alone("views", "model_nofold.onnx");
  try {
    const model = await loadOnnxModel(onnx);
    const dict = await loadStateDict(path("views", "perturbed.pth"));
    assertEquals(needsExportedWeights(model, dict), false);
    const map = mapWeights(model, dict);
    assertEquals(new Set(map.keys.map((k) => k.relation)), new Set(["name"]));
    // New values under the old names are not "to rounding": by name is the whole story.
    assertEquals(new Set(describeWeightMap(map).map((r) => r.how)), new Set(["by name"]));
    const want = await expected("views");
    const surrogate = await loadSurrogate(onnx, { weights: path("views", "perturbed.pth") });
    try {
      assertEquals(surrogate.weights?.exportedPath, undefined);
      // This graph uses `gate` both as it is and reshaped in MatMuls (the tfjs rebuild's
      // products must not hand tfjs-backend-wasm one buffer under two shapes: lib/tf/mat_mul.ts).
      const points = Float64Array.from(want.x.flat());
      const jacobian = want.perturbed.jacobian.map((j) => j.flat());
      const ort = rangeError(await surrogate.predict(points), want.perturbed.y);
      const tfe = rangeError(await surrogate.predict(points, { engine: "tf" }), want.perturbed.y);
      const fd = rangeError((await surrogate.jacobian(points, { method: "fd" })).values, jacobian);
      const ad = rangeError((await surrogate.jacobian(points)).values, jacobian);
      assert(ort <= FORWARD_TOLERANCE.float32, `onnxruntime ${ort}`);
      assert(tfe <= FORWARD_TOLERANCE.float32, `tfjs ${tfe}`);
      assert(fd <= JACOBIAN_TOLERANCE.float32, `finite differences ${fd}`);
      assert(ad <= JACOBIAN_TOLERANCE.float32, `autodiff ${ad}`);
    } finally {
      await surrogate.dispose();
    }
  } finally {
    await Deno.remove(onnx.slice(0, -"/model.onnx".length), { recursive: true });
  }
});

Deno.test("mapWeights() names the exported weights and the unmatched initializer when they do not fit", async () => {
  const model = await loadOnnxModel(path("views", "model.onnx"));
  const exported = path("views", "perturbed.pth");
  const wrong = await loadStateDict(exported);
  try {
    mapWeights(model, wrong, { exported: wrong, exportedSource: exported });
    throw new Error("expected a WeightMappingError");
  } catch (e) {
    assert(e instanceof WeightMappingError, String(e));
    for (
      const part of [
        `no recipe over ${exported}`,
        'state_dict keys "coeffs" [2, 5, 4, 3]',
        `check that ${exported} is the state_dict the file was exported with`,
      ]
    ) assertStringIncludes(e.message, part);
  }
});

Deno.test("initializerFromParameters() sends gradients back through slices, indexing and concatenation", async () => {
  await initTf();
  const model = await loadOnnxModel(path("views", "model.onnx"));
  const dict = await loadStateDict(path("views", "model.pth"));
  const map = mapStateDict(model, dict);
  const variables = new Map(
    [...dict].map((
      [key, t],
    ) => [key, tf.variable(tf.tensor(Float32Array.from(t.data as Float32Array), [...t.shape]))]),
  );
  try {
    // Values: the tfjs replay equals the host evaluation (float32) of every recipe.
    for (const init of map.initializers) {
      assert(init.source.kind !== "constant" && init.source.kind !== "unmatched");
      const value = initializerFromParameters(map, init.name, variables);
      const host = evaluateRecipe(init.source.recipe, dict, rounding(init));
      assertEquals(Array.from(await value.data()), Array.from(host.data), init.name);
      value.dispose();
    }
    // Gradients: d/dθ Σ_initializers Σ values = how many times each element of θ is used.
    const { grads, value } = tf.variableGrads(() =>
      tf.addN(
        map.initializers.map((i) => tf.sum(initializerFromParameters(map, i.name, variables))),
      ) as tf.Scalar
    );
    value.dispose();
    const uses = (key: string) => Array.from(grads[variables.get(key)!.name]!.dataSync());
    assertEquals(new Set(uses("coeffs")), new Set([1])); // each element in exactly one slice
    assertEquals(uses("biases"), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]); // row 1 only
    for (const key of ["mix", "head", "skip_a", "skip_b"]) {
      assertEquals(new Set(uses(key)), new Set([1]));
    }
    // by name, .T, .reshape, one of the two slices, twice in the concatenation
    assertEquals(new Set(uses("gate")), new Set([6]));
    tf.dispose(Object.values(grads));
  } finally {
    tf.dispose([...variables.values()]);
  }
});

Deno.test("refit() trains sliced, concatenated and unused-buffer models and writes every key back", async (t) => {
  await initTf();
  for (const name of ["views", "unused"]) {
    await t.step(name, async () => {
      const want = await expected(name);
      const surrogate = await loadSurrogate(path(name, "model.onnx"), {
        exportedWeights: path(name, "model.pth"),
      });
      const points = want.x.length;
      const data: RefitData = {
        source: "expected.json",
        points,
        inputs: surrogate.inputs,
        outputs: surrogate.outputs,
        x: Float64Array.from(want.x.flat()),
        values: Float64Array.from(want.perturbed.y.flat()),
        jacobian: Float64Array.from(want.perturbed.jacobian.flat(2)),
      };
      const result = await refit(surrogate, data, {
        lambda: 0.1,
        epochs: 3,
        batchSize: 8,
        learningRate: 1e-2,
        holdout: 0.25,
        seed: 1,
      });
      await surrogate.dispose();
      const original = await loadStateDict(path(name, "model.pth"));
      const { plan } = result;
      if (name === "views") {
        assertEquals(plan.trainable, [...original.keys()]);
        assertEquals(plan.initializers.length, 12);
      } else {
        assertEquals(plan.fixed, [
          { key: "rbf.grid", reason: "a grid" },
          { key: "rbf.inv_denominator", reason: "not in the graph" },
        ]);
      }
      const dir = await Deno.makeTempDir();
      try {
        const written = await writeRefit(result, dir);
        const dict = await loadStateDict(written.safetensors);
        assertEquals([...dict.keys()], [...original.keys()]);
        for (const key of plan.fixed.map((f) => f.key)) {
          assertEquals(dict.get(key)!.data, original.get(key)!.data, key);
        }
        const changed = plan.trainable.filter((key) =>
          !(dict.get(key)!.data as Float32Array).every((v, i) => v === original.get(key)!.data[i])
        );
        assertEquals(changed, plan.trainable);
        // Write-back: the refit state_dict, applied to the original export through the recipes,
        // gives exactly the refit ONNX's initializers (slices, concatenation and all).
        const model = await loadOnnxModel(path(name, "model.onnx"));
        const values = applyStateDict(model, dict, mapStateDict(model, original));
        const refitOnnx = await loadOnnxModel(written.onnx);
        for (const [init, value] of values) {
          assertEquals(
            Array.from(value.data as Float32Array),
            Array.from(refitOnnx.initializers.get(init)!.data as Float32Array),
            init,
          );
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("mapStateDict() finds integer buffers cast into a float constant (Chebyshev degrees), so they are not unused", async () => {
  const corpus = new URL("../testdata/corpus/chebykan/", import.meta.url).pathname;
  const model = await loadOnnxModel(`${corpus}default.onnx`);
  const map = mapStateDict(model, await loadStateDict(`${corpus}model.pth`));
  const degrees = map.keys.filter((k) => k.key.endsWith(".degrees"));
  assertEquals(degrees.map((k) => k.dtype), ["int64", "int64"]);
  assertEquals(degrees.map((k) => k.relation), ["renamed", "shared"]);
  assertEquals(unusedKeys(map), []);
  assertEquals(coverage(map), 1);
});
