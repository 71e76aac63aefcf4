import { diagnoseGraph, saturationThreshold } from "../../lib/diagnose/mod.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { node, tinyModel } from "./_tiny_model.ts";

/** Thresholds are closed forms evaluated in float64. */
const THRESHOLD_TOL = { float64: 1e-12 } as const;
/** Exact shares are ratios of small counts. */
const SHARE_TOL = { float64: 1e-12 } as const;
/** Float32 sigmoid outputs in [0, 1] (spacing 6e-8 near 1). */
const SIGMOID_F32_TOL = { float32: 1.2e-7 } as const;

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

Deno.test("saturationThreshold() is where the derivative falls to level · max", () => {
  const zs = saturationThreshold("sigmoid", 0.01);
  assertAlmostEquals(sigmoid(zs) * (1 - sigmoid(zs)), 0.01 * 0.25, THRESHOLD_TOL.float64);
  assertAlmostEquals(zs, 5.9864, 1e-4);
  // σ' = 0.01 (4% of its maximum) is |z| ≈ 4.58
  assertAlmostEquals(saturationThreshold("sigmoid", 0.04), 4.5849, 1e-4);
  const zt = saturationThreshold("tanh", 0.01);
  assertAlmostEquals(1 - Math.tanh(zt) ** 2, 0.01, THRESHOLD_TOL.float64);
  assertThrows(() => saturationThreshold("tanh", 0), RangeError, "level 0");
});

Deno.test("diagnoseGraph() counts the sigmoid outputs beyond the saturation threshold", async () => {
  // |z| > 5.99: 6.5, -7, 20, -30 (4 of 10); |z| > 4.58 adds 4.7 and -5 (6 of 10)
  const z = Float64Array.of(0, 1, -3, 4.7, -5, 6.5, -7, 20, -30, 2);
  const model = tinyModel({ n: 2, m: 2, nodes: [node("Sigmoid", ["x"], ["y"], [], "act")] });
  const d = await diagnoseGraph(model, z, 5);
  assertEquals(d.saturations.length, 1);
  const f = d.saturations[0]!;
  assertEquals([f.node, f.activation, f.siluGate, f.count, f.level], [
    "act",
    "sigmoid",
    false,
    10,
    0.01,
  ]);
  assertAlmostEquals(f.share, 0.4, SHARE_TOL.float64);
  // onnxruntime's float32 sigmoid may flush σ(-30) ≈ 9e-14 to 0: compare to float32 spacing at 1
  assertAlmostEquals(f.values.min, sigmoid(-30), SIGMOID_F32_TOL.float32);
  assertAlmostEquals(f.values.max, sigmoid(20), SIGMOID_F32_TOL.float32);
  const loose = await diagnoseGraph(model, z, 5, { saturationLevel: 0.04 });
  assertAlmostEquals(loose.saturations[0]!.share, 0.6, SHARE_TOL.float64);
});

Deno.test("diagnoseGraph() counts tanh outputs with 1 - tanh² < 0.01", async () => {
  // |z| > 2.993: -3.1, 4, 10 (3 of 8)
  const z = Float64Array.of(0, 0.5, -2, 2.9, -3.1, 4, 10, -1);
  const model = tinyModel({ n: 2, m: 2, nodes: [node("Tanh", ["x"], ["y"], [], "act")] });
  const f = (await diagnoseGraph(model, z, 4)).saturations[0]!;
  assertEquals([f.activation, f.siluGate], ["tanh", false]);
  assertAlmostEquals(f.share, 0.375, SHARE_TOL.float64);
});

Deno.test("diagnoseGraph() labels the sigmoid of x·sigmoid(x) as a SiLU gate", async () => {
  const model = tinyModel({
    n: 2,
    m: 2,
    nodes: [
      node("Sigmoid", ["x"], ["s1"], [], "silu/Sigmoid"),
      node("Mul", ["x", "s1"], ["silu"], [], "silu/Mul"),
      node("Sigmoid", ["x"], ["s2"], [], "plain"),
      node("Add", ["silu", "s2"], ["y"], [], "sum"),
    ],
  });
  const d = await diagnoseGraph(model, Float64Array.of(0, 8), 1);
  assertEquals(
    d.saturations.map((f) => [f.node, f.siluGate, f.share]),
    [["silu/Sigmoid", true, 0.5], ["plain", false, 0.5]],
  );
});
