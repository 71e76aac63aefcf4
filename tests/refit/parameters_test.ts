import { assertEquals } from "../_assert.ts";
import { bundledPaths } from "../_bundled.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import { planFromInitializers, planFromStateDict } from "../../lib/refit/parameters.ts";
import { loadStateDict } from "../../lib/weights/load.ts";
import { mapStateDict } from "../../lib/weights/map.ts";
import { tinyMlp } from "./_tiny.ts";

async function planOf(name: string) {
  const p = bundledPaths(name);
  const onnx = await loadOnnxModel(p.onnx);
  const dict = await loadStateDict(p.pth);
  return planFromStateDict(mapStateDict(onnx, dict), dict);
}

Deno.test("planFromStateDict() keeps FastKAN's rbf.grid fixed and trains every other key", async () => {
  const plan = await planOf("fastkan");
  assertEquals(plan.fixed.map((f) => f.key), [0, 1, 2].map((l) => `layers.${l}.rbf.grid`));
  assertEquals(plan.trainable.length, plan.dict.size - 3);
  // the folded transposed spline weights follow their keys
  assertEquals(plan.initializers.filter((i) => i.startsWith("onnx::MatMul")).length, 3);
});

Deno.test("planFromStateDict() trains efficient-KAN's spline_weight and spline_scaler as parts of the fused initializer", async () => {
  const plan = await planOf("effkan");
  assertEquals(plan.fixed.map((f) => f.key), [0, 1, 2].map((l) => `layers.${l}.grid`));
  for (const l of [0, 1, 2]) {
    for (const part of ["base_weight", "spline_weight", "spline_scaler"]) {
      assertEquals(plan.trainable.includes(`layers.${l}.${part}`), true);
    }
  }
  const fused = plan.map.initializers.filter((i) =>
    i.source.kind === "fused" && plan.initializers.includes(i.name)
  );
  assertEquals(fused.length, 3);
  // no derived grid constant is recomputed
  assertEquals(
    plan.initializers.some((n) =>
      plan.map.initializers.find((i) => i.name === n)!.source.kind === "derived"
    ),
    false,
  );
});

Deno.test("planFromInitializers() trains the float initializers by name without a state_dict", () => {
  const plan = planFromInitializers(tinyMlp());
  assertEquals(plan.naming, "initializer");
  assertEquals(plan.trainable, ["w1", "b1", "w2"]);
  assertEquals(plan.initializers, ["w1", "b1", "w2"]);
});
