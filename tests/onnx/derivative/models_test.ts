/**
 * The derivative graph of real PyTorch exports (the bundled models and the
 * export corpus, torch's default batch-1 exports included) against PyTorch's
 * own float64 autograd Jacobians saved beside them, in physical units; its
 * Hessians against float64 central differences of its Jacobian.
 */
import { compareJacobians } from "../../../lib/compare/jacobians.ts";
import { finiteDifferenceJacobian } from "../../../lib/jacobian/finite_differences.ts";
import type { Jacobians } from "../../../lib/jacobian/types.ts";
import { loadSurrogate, type Surrogate } from "../../../lib/surrogate/surrogate.ts";
import { assertLessOrEqual } from "../../_assert.ts";
import { bundledPaths, flat, type Oracle } from "../../_bundled.ts";

/**
 * float32 derivative graph vs PyTorch's float64 autograd, as a fraction of each
 * entry's range over the points. FastKAN's first LayerNorm amplifies float32
 * rounding by up to 127 (see README), hence its wider bound.
 */
const FLOAT32_RANGE_TOL = { default: 1e-5, fastkan: 1e-4 } as const;
/**
 * float64 derivative graph vs PyTorch's float64 autograd, `max |Δ| / max |J|`
 * per entry, for graphs whose constants are exactly PyTorch's (float32 weights
 * are exact in float64; a constant computed or rounded in float32 is not).
 */
const FLOAT64_RELATIVE_TOL = 1e-9;
/**
 * The same, per entry's range, for graphs holding float32-only constants:
 * their rounding moves the Jacobian by up to ~1e-6 of an entry's range
 * (FastKAN; measured by substituting the float32 constants in PyTorch, see
 * data/models/README.md), far above float64 rounding.
 */
const FLOAT64_CONSTANTS_TOL = 2e-6;
/** float64 Hessian vs float64 central differences of the float64 Jacobian, per entry's range. */
const HESSIAN_RANGE_TOL = 1e-6;

interface ModelCase {
  readonly label: string;
  readonly onnx: string;
  readonly dir: string;
  /** The graph's constants are PyTorch's exactly (float64 compared with PyTorch directly). */
  readonly exactConstants: boolean;
  readonly float32Tol: number;
}

const corpus = (name: string) =>
  new URL(`../../testdata/corpus/${name}/`, import.meta.url).pathname;

const CASES: ModelCase[] = [
  ...["fastkan", "fastkan_op13", "effkan", "mlp"].map((name) => ({
    label: `bundled ${name}`,
    onnx: bundledPaths(name).onnx,
    dir: bundledPaths(name).dir,
    // FastKAN stores 4/7 and the LayerNorm ε as float32; efficient-KAN's folded grid differences are float32 sums.
    exactConstants: name === "mlp",
    float32Tol: name.startsWith("fastkan") ? FLOAT32_RANGE_TOL.fastkan : FLOAT32_RANGE_TOL.default,
  })),
  ...[
    ["fastkan", false],
    ["effkan", false],
    ["fourierkan", true],
    ["chebykan", true],
    ["mlp_silu_layernorm_residual", true],
    ["mlp_tanh_batchnorm_dropout", true],
    // GELU's tanh approximation constants sqrt(2/π) and 0.044715 are float32 in the graph.
    ["mlp_gelu_softplus", false],
  ].flatMap(([name, exact]) =>
    ["dynamic", "default"].map((file) => ({
      label: `corpus ${name}/${file}.onnx`,
      onnx: `${corpus(name as string)}${file}.onnx`,
      dir: corpus(name as string),
      exactConstants: exact as boolean,
      float32Tol: name === "fastkan" ? FLOAT32_RANGE_TOL.fastkan : FLOAT32_RANGE_TOL.default,
    }))
  ),
];

async function load(c: ModelCase): Promise<{ model: Surrogate; oracle: Oracle; x: Float64Array }> {
  const oracle = JSON.parse(await Deno.readTextFile(`${c.dir}oracle.json`)) as Oracle;
  const model = await loadSurrogate(c.onnx, { scaling: `${c.dir}scaling.csv` });
  return { model, oracle, x: flat(oracle.points_physical) };
}

function reference(model: Surrogate, oracle: Oracle): Jacobians {
  return {
    points: oracle.points_physical.length,
    outputs: model.outputs,
    inputs: model.inputs,
    values: flat(oracle.jacobian_physical),
  };
}

/** `max_k |a - b| / max_k |b|` over the entries of `[N, w]` arrays (worst entry). */
function worstEntryRelative(a: Float64Array, b: Float64Array, width: number): number {
  const points = b.length / width;
  let worst = 0;
  for (let e = 0; e < width; e++) {
    let diff = 0;
    let scale = 0;
    for (let k = 0; k < points; k++) {
      diff = Math.max(diff, Math.abs(a[k * width + e]! - b[k * width + e]!));
      scale = Math.max(scale, Math.abs(b[k * width + e]!));
    }
    worst = Math.max(worst, diff / (scale || 1));
  }
  return worst;
}

/** `max_k |a - b| / range_k b` over the entries of `[N, w]` arrays (worst entry). */
function worstEntryRange(a: Float64Array, b: Float64Array, width: number): number {
  const points = b.length / width;
  let worst = 0;
  for (let e = 0; e < width; e++) {
    let diff = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < points; k++) {
      const v = b[k * width + e]!;
      diff = Math.max(diff, Math.abs(a[k * width + e]! - v));
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    worst = Math.max(worst, diff / ((hi - lo) || 1));
  }
  return worst;
}

Deno.test('Surrogate.jacobian({ method: "graph" }) matches PyTorch\'s float64 autograd (float32 and float64)', async (t) => {
  for (const c of CASES) {
    await t.step(c.label, async () => {
      const { model, oracle, x } = await load(c);
      try {
        const ref = reference(model, oracle);
        const f32 = await model.jacobian(x, { method: "graph" });
        const range32 = compareJacobians(f32, ref).worstRangeNormalized;
        assertLessOrEqual(range32.value, c.float32Tol, `float32, worst ${range32.label}`);
        const f64 = await model.jacobian(x, { method: "graph", dtype: "float64" });
        const mn = model.outputs.length * model.inputs.length;
        if (c.exactConstants) {
          assertLessOrEqual(worstEntryRelative(f64.values, ref.values, mn), FLOAT64_RELATIVE_TOL);
        } else {
          const range64 = compareJacobians(f64, ref).worstRangeNormalized;
          assertLessOrEqual(
            range64.value,
            FLOAT64_CONSTANTS_TOL,
            `float64, worst ${range64.label}`,
          );
        }
      } finally {
        await model.dispose();
      }
    });
  }
});

Deno.test("Surrogate.derivatives({ order: 2 }) gives Hessians that match float64 central differences of the Jacobian", async (t) => {
  for (const c of CASES.filter((c) => c.label.startsWith("bundled"))) {
    await t.step(c.label, async () => {
      const { model, x: all } = await load(c);
      try {
        const points = 40;
        const n = model.inputs.length;
        const m = model.outputs.length;
        const x = all.subarray(0, points * n);
        const second = await model.derivatives(x, { order: 2, dtype: "float64" });
        // Step 1e-6 of each input's range: the truncation error (∝ h², large for FastKAN's
        // steep LayerNorm and at efficient-KAN's knots) falls below the tolerance.
        const fd = await finiteDifferenceJacobian(
          async (v) => (await model.derivatives(v, { dtype: "float64" })).jacobian,
          x,
          {
            points,
            inputWidth: n,
            outputWidth: m * n,
            step: model.scaling.inputs.map((s) => 1e-6 / s.scale),
          },
        );
        assertLessOrEqual(
          worstEntryRange(second.hessian!, fd.values, m * n * n),
          HESSIAN_RANGE_TOL,
        );
        const first = await model.derivatives(x, { dtype: "float64" });
        assertLessOrEqual(worstEntryRelative(second.jacobian, first.jacobian, m * n), 1e-14);
      } finally {
        await model.dispose();
      }
    });
  }
});

Deno.test("Surrogate.derivatives() returns the forward pass of the same engine, physical units", async () => {
  const { model, x } = await load(CASES[0]!);
  try {
    const m = model.outputs.length;
    const f64 = await model.derivatives(x, { dtype: "float64" });
    assertLessOrEqual(worstEntryRelative(f64.y, await model.predictFloat64(x), m), 1e-14);
    const f32 = await model.derivatives(x);
    assertLessOrEqual(worstEntryRelative(f32.y, await model.predict(x), m), 1e-6);
  } finally {
    await model.dispose();
  }
});
