/**
 * The scaling audit on a model whose truth is known exactly: a smooth
 * analytic function in normalized units, and reference values made with the
 * right constants. The audit sees only a scaling file; what it must recover is
 * the right file.
 */
import { minMaxScaler, type Scaling } from "../../lib/scaling/scaler.ts";
import { auditScaling } from "../../lib/verdict/scaling_audit.ts";
import type { NormalizedModel } from "../../lib/verdict/normalized_model.ts";
import { assertAlmostEquals, assertEquals } from "../_assert.ts";

/** ŷ1 = sin(x̂1) + x̂2², ŷ2 = exp(0.5 x̂1) − x̂2, ŷ3 = x̂1·x̂2 (normalized units). */
const model: NormalizedModel = {
  inputWidth: 2,
  outputWidth: 3,
  forward(xn, points) {
    const y = new Float64Array(points * 3);
    for (let k = 0; k < points; k++) {
      const [a, b] = [xn[2 * k]!, xn[2 * k + 1]!];
      y[3 * k] = Math.sin(a) + b * b;
      y[3 * k + 1] = Math.exp(0.5 * a) - b;
      y[3 * k + 2] = a * b;
    }
    return Promise.resolve(y);
  },
};

const truth = {
  inputs: [{ name: "p", min: 1, max: 3 }, { name: "q", min: 100, max: 300 }],
  outputs: [
    { name: "u", min: -2, max: 5 },
    { name: "v", min: 10, max: 11 },
    { name: "w", min: 0, max: 1000 },
  ],
};
type Row = { name: string; min: number; max: number };
const scalingOf = (t: { inputs: Row[]; outputs: Row[] }): Scaling => ({
  inputs: t.inputs.map((r) => minMaxScaler(r.name, r)),
  outputs: t.outputs.map((r) => minMaxScaler(r.name, r)),
});

/** 60 points in the box, and the reference: the model with the true constants. */
async function data() {
  const N = 60;
  const x = new Float64Array(N * 2);
  for (let k = 0; k < N; k++) {
    x[2 * k] = 1 + 2 * ((k * 0.618034) % 1);
    x[2 * k + 1] = 100 + 200 * ((k * 0.754878 + 0.3) % 1);
  }
  const s = scalingOf(truth);
  const xn = x.map((v, i) => s.inputs[i % 2]!.scale * v + s.inputs[i % 2]!.offset);
  const yn = await model.forward(xn, N);
  const ref = yn.map((v, i) => (v - s.outputs[i % 3]!.offset) / s.outputs[i % 3]!.scale);
  return { x, ref };
}

/** A reference made through the model itself is fitted exactly: constants to ~1e-6 of a range. */
const EXACT = 1e-5;

Deno.test("auditScaling() names nothing when the file is right", async () => {
  const { x, ref } = await data();
  const a = await auditScaling(model, scalingOf(truth), x, ref);
  assertEquals(a.suspects, []);
  assertAlmostEquals(a.errorFile, 0, 1e-20);
});

Deno.test("auditScaling() recovers one input's range and one output's range", async (t) => {
  const { x, ref } = await data();
  await t.step("q's max 10 % high", async () => {
    const file = structuredClone(truth);
    file.inputs[1]!.max = 320;
    const a = await auditScaling(model, scalingOf(file), x, ref);
    assertEquals(a.suspects.map((s) => `${s.variable}:${s.kind}`), ["q:range"]);
    const implied = a.suspects[0]!.implied as { min: number; max: number };
    assertAlmostEquals(implied.min, 100, EXACT * 200);
    assertAlmostEquals(implied.max, 300, EXACT * 200);
    assertAlmostEquals(a.errorCorrected, 0, 1e-8);
  });
  await t.step("w's min off by 5 % of its range", async () => {
    const file = structuredClone(truth);
    file.outputs[2]!.min = 50;
    const a = await auditScaling(model, scalingOf(file), x, ref);
    assertEquals(a.suspects.map((s) => `${s.variable}:${s.kind}`), ["w:range"]);
    const implied = a.suspects[0]!.implied as { min: number; max: number };
    assertAlmostEquals(implied.min, 0, EXACT * 1000);
    assertAlmostEquals(implied.max, 1000, EXACT * 1000);
  });
});

Deno.test("auditScaling() finds swapped rows: outputs by numbers or whole rows, inputs by numbers", async (t) => {
  const { x, ref } = await data();
  await t.step("output numbers of u and w exchanged", async () => {
    const file = structuredClone(truth);
    [file.outputs[0], file.outputs[2]] = [
      { ...file.outputs[2]!, name: "u" },
      { ...file.outputs[0]!, name: "w" },
    ];
    const a = await auditScaling(model, scalingOf(file), x, ref);
    assertEquals(a.outputSwap.mode, "values");
    assertEquals(a.suspects.map((s) => `${s.variable}:${s.kind}:${s.with}`).sort(), [
      "u:swap:w",
      "w:swap:u",
    ]);
    assertAlmostEquals(a.errorCorrected, 0, 1e-20);
  });
  await t.step("input numbers of p and q exchanged", async () => {
    const file = structuredClone(truth);
    [file.inputs[0], file.inputs[1]] = [
      { ...file.inputs[1]!, name: "p" },
      { ...file.inputs[0]!, name: "q" },
    ];
    const a = await auditScaling(model, scalingOf(file), x, ref);
    assertEquals(a.suspects.map((s) => `${s.variable}:${s.kind}`).sort(), ["p:swap", "q:swap"]);
    assertEquals(
      a.corrected.inputs.map((s) => s.scale),
      scalingOf(truth).inputs.map((s) => s.scale),
    );
  });
});

Deno.test("auditScaling() does not test fewer points than it fits constants for", async () => {
  const { x, ref } = await data();
  const a = await auditScaling(model, scalingOf(truth), x.subarray(0, 10), ref.subarray(0, 15));
  assertEquals(a.tested, false);
  assertEquals(a.suspects, []);
  assertEquals(a.outputFinding.holds, false);
});
