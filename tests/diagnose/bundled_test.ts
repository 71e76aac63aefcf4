import { diagnoseGraph, saturationThreshold } from "../../lib/diagnose/mod.ts";
import type { BSplineFinding, GraphDiagnostics, RbfFinding } from "../../lib/diagnose/mod.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import type { OnnxModel } from "../../lib/onnx/model.ts";
import {
  assertAlmostEquals,
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
} from "../_assert.ts";

/** σ statistics of the same float32 inputs by two float64 routes: summation order only. */
const STAT_TOL = { float64: 1e-12 } as const;
/** Relative agreement of float32 graph values computed by two different graphs or in float64. */
const VALUE_TOL = { float32: 1e-5 } as const;
/** ε of torch.nn.LayerNorm as the ONNX export stores it (float32). */
const EPS = Math.fround(1e-5);

interface Oracle {
  architecture: Record<string, number | number[]>;
  points_normalized: number[][];
}

async function load(
  name: string,
): Promise<{ model: OnnxModel; oracle: Oracle; d: GraphDiagnostics }> {
  const dir = new URL(`../../data/models/${name}/`, import.meta.url);
  const model = await loadOnnxModel(new URL("model.onnx", dir).pathname);
  const oracle = JSON.parse(await Deno.readTextFile(new URL("oracle.json", dir))) as Oracle;
  const x = Float64Array.from(oracle.points_normalized.flat());
  const d = await diagnoseGraph(model, x, oracle.points_normalized.length);
  return { model, oracle, d };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function initializer(model: OnnxModel, name: string): number[] {
  const t = model.initializers.get(name);
  if (!t) throw new Error(`no initializer ${name}`);
  return Array.from(t.data, Number);
}

Deno.test("diagnoseGraph() finds FastKAN's first-layer LayerNorm of rank 2 of 4 in both exports, with σ from the points", async () => {
  const op17 = await load("fastkan");
  const op13 = await load("fastkan_op13");
  const rows = op17.oracle.points_normalized.map((r) => r.map(Math.fround));
  const sigmas = rows.map((r) => {
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    return Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length + EPS);
  });
  for (const { d } of [op17, op13]) {
    assertEquals(d.layerNorms.length, 3);
    const first = d.layerNorms[0]!;
    assertEquals([first.input, first.firstLayer, first.k, first.rows], ["x", true, 4, 200]);
    assertEquals(first.rank.min, 2);
    assertLessOrEqual(first.rank.max, 3);
    assertAlmostEquals(first.sigma.min, Math.min(...sigmas), STAT_TOL.float64);
    assertAlmostEquals(first.sigma.median, median(sigmas), STAT_TOL.float64);
    const gainMax = 1 / Math.min(...sigmas);
    assertAlmostEquals(first.gain.max, gainMax, STAT_TOL.float64 * gainMax);
    for (const hidden of d.layerNorms.slice(1)) {
      assertEquals([hidden.firstLayer, hidden.k, hidden.rank.min, hidden.rank.max], [
        false,
        30,
        28,
        28,
      ]);
    }
  }
  const [a, b] = [op17.d.layerNorms, op13.d.layerNorms];
  assertEquals(a.map((f) => f.pattern), ["op", "op", "op"]);
  assertEquals(b.map((f) => f.pattern), ["decomposed", "decomposed", "decomposed"]);
  assertEquals(a[0]!.rankCounts, b[0]!.rankCounts);
  for (let i = 0; i < 3; i++) {
    // hidden layers: the two exports compute the same float32 values by different kernels
    assertAlmostEquals(b[i]!.sigma.min, a[i]!.sigma.min, VALUE_TOL.float32 * a[i]!.sigma.min);
    assertAlmostEquals(
      b[i]!.sigma.median,
      a[i]!.sigma.median,
      VALUE_TOL.float32 * a[i]!.sigma.median,
    );
  }
});

Deno.test("diagnoseGraph() reads FastKAN's RBF grids and first-layer entering values from the LayerNorm formula", async () => {
  const { model, oracle, d } = await load("fastkan");
  const arch = oracle.architecture;
  assertEquals(d.bases.length, 3);
  for (const f of d.bases) {
    assertEquals(f.kind, "rbf");
    assertEquals((f as RbfFinding).grid, {
      min: arch.grid_min as number,
      max: arch.grid_max as number,
      count: arch.num_grids as number,
    });
    assertGreaterOrEqual(f.kind === "rbf" ? f.outsideShare : -1, 0);
    assertLessOrEqual(f.kind === "rbf" ? f.outsideShare : 2, 1);
  }
  // layer 0 enters γ·z + β: recompute in float64 from the points and the LayerNorm parameters
  const gamma = initializer(model, "layers.0.layernorm.weight");
  const beta = initializer(model, "layers.0.layernorm.bias");
  const entering = oracle.points_normalized.flatMap((r) => {
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const s = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length + EPS);
    return r.map((v, i) => gamma[i]! * (v - mean) / s + beta[i]!);
  });
  const first = d.bases[0] as RbfFinding;
  assertEquals(first.count, entering.length);
  assertAlmostEquals(first.values.min, Math.min(...entering), VALUE_TOL.float32);
  assertAlmostEquals(first.values.max, Math.max(...entering), VALUE_TOL.float32);
  const outside = entering.filter((v) =>
    v < (arch.grid_min as number) || v > (arch.grid_max as number)
  );
  assertEquals(first.outsideShare, outside.length / entering.length);
  // the fastkan_op13 export reports the same grids and shares (a borderline value may flip)
  const op13 = await load("fastkan_op13");
  for (let i = 0; i < 3; i++) {
    const [p, q] = [d.bases[i] as RbfFinding, op13.d.bases[i] as RbfFinding];
    assertEquals(q.grid, p.grid);
    assertLessOrEqual(Math.abs(q.outsideShare - p.outsideShare), 2 / p.count);
  }
});

Deno.test("diagnoseGraph() infers efficient-KAN's spline order, knots and central grid as constructed", async () => {
  const { oracle, d } = await load("effkan");
  const gridSize = oracle.architecture.grid_size as number;
  const order = oracle.architecture.spline_order as number;
  const [lo, hi] = oracle.architecture.grid_range as number[];
  const h = (hi! - lo!) / gridSize;
  assertEquals(d.layerNorms, []);
  assertEquals(d.bases.length, 3);
  for (const b of d.bases) {
    const f = b as BSplineFinding;
    assertEquals([f.kind, f.order, f.knots.count], ["b-spline", order, gridSize + 2 * order + 1]);
    assertEquals(f.central.intervals, gridSize);
    assertAlmostEquals(f.central.min, lo!, VALUE_TOL.float32);
    assertAlmostEquals(f.central.max, hi!, VALUE_TOL.float32);
    assertAlmostEquals(f.knots.min, lo! - order * h, VALUE_TOL.float32);
    assertAlmostEquals(f.knots.max, hi! + order * h, VALUE_TOL.float32);
    for (const share of [f.outsideKnotShare, f.outsideCentralShare]) {
      assertGreaterOrEqual(share, 0);
      assertLessOrEqual(share, 1);
    }
    assertLessOrEqual(f.outsideKnotShare, f.outsideCentralShare);
  }
  // layer 0's basis reads the model input itself
  const x = oracle.points_normalized.flat().map(Math.fround);
  const first = d.bases[0] as BSplineFinding;
  assertEquals(first.values, { min: Math.min(...x), max: Math.max(...x) });
  const outsideCentral = x.filter((v) => v < lo! || v > hi!).length / x.length;
  assertEquals(first.outsideCentralShare, outsideCentral);
  assertAlmostEquals(
    first.coverage,
    (Math.max(...x) - Math.min(...x)) / (hi! - lo!),
    VALUE_TOL.float32,
  );
});

Deno.test("diagnoseGraph() finds the MLP's four sigmoids with the saturation of a float64 forward pass", async () => {
  const { model, oracle, d } = await load("mlp");
  assertEquals(d.saturations.length, 4);
  const zMax = saturationThreshold("sigmoid", 0.01);
  let h = oracle.points_normalized;
  for (let layer = 0; layer < 4; layer++) {
    const w = initializer(model, `${2 * layer}.weight`);
    const b = initializer(model, `${2 * layer}.bias`);
    const width = b.length;
    const fanIn = h[0]!.length;
    const z = h.map((row) =>
      b.map((bias, o) => row.reduce((acc, v, i) => acc + v * w[o * fanIn + i]!, bias))
    );
    const f = d.saturations[layer]!;
    assertEquals([f.activation, f.siluGate, f.count], ["sigmoid", false, 200 * width]);
    assertGreaterOrEqual(f.share, 0);
    assertLessOrEqual(f.share, 1);
    const flat = z.flat();
    const saturated = flat.filter((v) => Math.abs(v) > zMax).length / flat.length;
    // float32 vs float64 may flip a pre-activation that sits on the threshold
    assertLessOrEqual(Math.abs(f.share - saturated), 2 / f.count);
    const s = flat.map((v) => 1 / (1 + Math.exp(-v)));
    assertAlmostEquals(f.values.min, Math.min(...s), VALUE_TOL.float32);
    assertAlmostEquals(f.values.max, Math.max(...s), VALUE_TOL.float32);
    h = z.map((row) => row.map((v) => 1 / (1 + Math.exp(-v))));
  }
});
