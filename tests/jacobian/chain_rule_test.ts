import { denormalizeJacobian, userScriptDenormalize } from "../../lib/jacobian/chain_rule.ts";
import { makeJacobians } from "../../lib/jacobian/types.ts";
import { readScaling } from "../../lib/scaling/read_scaling.ts";
import { assertEquals, assertThrows } from "../_assert.ts";
import { assertAllClose, type Tolerance } from "./_close.ts";

/**
 * The two de-normalizations do the same float64 arithmetic in a different
 * order (`J / r_in * r_out` vs `J * (1 / s_out) * s_in` with `s = 1 / r`):
 * they agree to a few float64 ulps.
 */
const REORDER_TOL: Record<"float64", Tolerance> = { float64: { rtol: 1e-15, atol: 0 } };
/**
 * PyTorch's float64 autograd through normalize -> model -> denormalize vs the
 * chain rule on its float64 normalized Jacobian: the same products in another
 * order, plus the float64 rounding of x_n = (x - min) / range inside the graph.
 */
const PYTORCH_TOL: Record<"float64", Tolerance> = { float64: { rtol: 1e-12, atol: 1e-12 } };

// A scaling file like olhs_samples_max_min.csv: x1..x3 then f1, f2.
const MIN = [0, -1, 100, -50, 0.001];
const MAX = [2, 3, 1100, 250, 0.003];
const minMax = (lo: readonly number[], hi: readonly number[]) =>
  lo.map((v, j) => ({ scale: 1 / (hi[j]! - v), offset: -v / (hi[j]! - v) }));
const SCALING = {
  inputs: minMax(MIN.slice(0, 3), MAX.slice(0, 3)),
  outputs: minMax(MIN.slice(3), MAX.slice(3)),
};

function jNorm(points: number): ReturnType<typeof makeJacobians> {
  const values = new Float64Array(points * 6).map((_, e) => Math.sin(1.7 * e + 0.3) * (1 + e % 4));
  return makeJacobians(values, { points, outputs: ["f1", "f2"], inputs: ["x1", "x2", "x3"] });
}

Deno.test("denormalizeJacobian() multiplies row i by range_out[i] and divides column j by range_in[j]", () => {
  const j = jNorm(1);
  const phys = denormalizeJacobian(j, SCALING);
  // Hand-computed: range_in = [2, 4, 1000], range_out = [300, 0.002].
  const expected = [
    j.values[0]! * 300 / 2,
    j.values[1]! * 300 / 4,
    j.values[2]! * 300 / 1000,
    j.values[3]! * 0.002 / 2,
    j.values[4]! * 0.002 / 4,
    j.values[5]! * 0.002 / 1000,
  ];
  assertAllClose(phys.values, expected, REORDER_TOL.float64);
  assertEquals(phys.outputs, ["f1", "f2"]);
  assertEquals(phys.inputs, ["x1", "x2", "x3"]);
});

Deno.test("userScriptDenormalize() (the report's loops) equals denormalizeJacobian() with min-max scalers", () => {
  const j = jNorm(25);
  const user = userScriptDenormalize(j, { min: MIN, max: MAX });
  const chain = denormalizeJacobian(j, SCALING);
  assertAllClose(user.values, chain.values, REORDER_TOL.float64);
});

Deno.test("userScriptDenormalize() and denormalizeJacobian() refuse mismatched widths", () => {
  assertThrows(
    () => userScriptDenormalize(jNorm(1), { min: MIN.slice(1), max: MAX }),
    TypeError,
    "the Min/Max columns have 4/5 rows, expected 3 inputs + 2 outputs",
  );
  assertThrows(
    () => denormalizeJacobian(jNorm(1), { inputs: SCALING.outputs, outputs: SCALING.outputs }),
    TypeError,
    "inputs scaling: it has 2 variables, the model has 3",
  );
});

interface Oracle {
  inputs: string[];
  outputs: string[];
  scaling: Record<"inputs" | "outputs", { name: string; min: number; max: number }[]>;
  jacobian_normalized: number[][][];
  jacobian_physical: number[][][];
}

for (const model of ["fastkan", "effkan", "mlp"]) {
  Deno.test(`userScriptDenormalize() and denormalizeJacobian() reproduce PyTorch's physical Jacobian of the bundled ${model}`, async () => {
    const url = new URL(`../../data/models/${model}/oracle.json`, import.meta.url);
    const oracle = JSON.parse(await Deno.readTextFile(url)) as Oracle;
    const points = oracle.jacobian_normalized.length;
    const names = { points, outputs: oracle.outputs, inputs: oracle.inputs };
    const jNorm = makeJacobians(Float64Array.from(oracle.jacobian_normalized.flat(2)), names);
    const expected = Float64Array.from(oracle.jacobian_physical.flat(2));
    const rows = [...oracle.scaling.inputs, ...oracle.scaling.outputs];
    const user = userScriptDenormalize(jNorm, {
      min: rows.map((r) => r.min),
      max: rows.map((r) => r.max),
    });
    // The project's own scaling reader plugs in as the AffineScaling.
    const scaling = await readScaling(
      new URL(`../../data/models/${model}/scaling.csv`, import.meta.url).pathname,
      { inputCount: oracle.inputs.length, outputCount: oracle.outputs.length },
    );
    const chain = denormalizeJacobian(jNorm, scaling);
    // Entries are compared relative to the largest |J| of their output row.
    const m = oracle.outputs.length;
    const n = oracle.inputs.length;
    const rowMax = new Float64Array(m);
    expected.forEach((v, e) => {
      const i = Math.floor(e / n) % m;
      rowMax[i] = Math.max(rowMax[i]!, Math.abs(v));
    });
    for (const [label, got] of [["user", user.values], ["chain", chain.values]] as const) {
      got.forEach((v, e) => {
        const i = Math.floor(e / n) % m;
        const tol = PYTORCH_TOL.float64.atol * rowMax[i]! +
          PYTORCH_TOL.float64.rtol * Math.abs(expected[e]!);
        if (!(Math.abs(v - expected[e]!) <= tol)) {
          throw new Error(`${label}: entry ${e}: ${v} vs PyTorch ${expected[e]}`);
        }
      });
    }
  });
}
