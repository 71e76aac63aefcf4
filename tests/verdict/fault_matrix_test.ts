/**
 * The verdict's fault matrix: every case of `tests/testdata/faults/cases.json`
 * (made by `scripts/make_faults.ts` from the bundled models, and by
 * `scripts/pytorch/train_faults.py` for the PyTorch-trained ones) gets exactly
 * the expected causes — the right one first, no false alarm after it — and
 * names the right rows or hypothesis.
 */
import { writeCheckOutputs } from "../../lib/check/write.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import type { ScalerConstants } from "../../lib/verdict/constants.ts";
import { readFaultCases, runFaultCase } from "../../scripts/fault_matrix.ts";
import { assert, assertAlmostEquals, assertEquals, assertLess } from "../_assert.ts";

const root = new URL("../../", import.meta.url).pathname;
const SEED_SCALING = `${root}data/seed/olhs_samples_max_min.csv`;

/**
 * Implied constants are estimates through a model with its own error (R² 0.997):
 * one row fitted alone lands within ~0.2 % of its range; all 16 constants fitted
 * jointly (z-score) within ~3 %, against changes of 40–50 % of a range.
 */
const IMPLIED_TOLERANCE = { row: 0.01, joint: 0.05 };
/** Two float32 Jacobians of the same model (PyTorch's and tfjs') agree to ~1e-6 of a row's scale. */
const FACTOR_TOLERANCE = 1e-4;

/** The seed scaling file's rows, by name. */
async function seedRanges(): Promise<Map<string, { min: number; max: number }>> {
  const lines = (await Deno.readTextFile(SEED_SCALING)).trim().split("\n").slice(1);
  return new Map(lines.map((l) => {
    const [name, min, max] = l.split(",");
    return [name!, { min: Number(min), max: Number(max) }];
  }));
}

function minMax(c: ScalerConstants): { min: number; max: number } {
  assert("min" in c, `expected min/max constants, got ${JSON.stringify(c)}`);
  return c;
}

Deno.test("the verdict names the right cause, rows and hypothesis for every case of the fault matrix", async (t) => {
  const ranges = await seedRanges();
  const samples = await readNumericCsv(`${root}data/seed/olhs_samples.csv`);
  for (const c of await readFaultCases()) {
    await t.step(c.name, async () => {
      const r = await runFaultCase(c);
      const v = r.verdict;
      assertEquals([...v.causes], [...c.expect.causes], v.summary);
      assertEquals(v.cause, c.expect.causes[0] ?? "ok");
      const named = v.scaling.suspects.map((s) => `${s.variable}:${s.kind}`).sort();
      const expected = (c.expect.suspects ?? []).map((s) => `${s.variable}:${s.kind}`).sort();
      assertEquals(named, expected);
      if (c.expect.hypothesis !== undefined) {
        assertEquals(v.userJacobian?.hypothesis, c.expect.hypothesis);
      } else {
        assertEquals(v.userJacobian, undefined);
      }
      if (c.expect.factor !== undefined) {
        assertAlmostEquals(v.userJacobian!.factor!, c.expect.factor, FACTOR_TOLERANCE);
      }
      // Range errors: the implied constants are the original file's.
      for (const s of v.scaling.suspects.filter((s) => s.kind === "range")) {
        const implied = minMax(s.implied);
        if (c.model.includes("zscore")) {
          // Trained on z-scores: x̂ = 0 at the data's mean, x̂ = 1 one std above.
          const col = samples.columns.indexOf(s.variable);
          const values = Array.from(
            { length: samples.rows },
            (_, k) => samples.data[k * samples.columns.length + col]!,
          );
          const mean = values.reduce((a, b) => a + b, 0) / values.length;
          const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
          const range = ranges.get(s.variable)!.max - ranges.get(s.variable)!.min;
          assertAlmostEquals(implied.min, mean, IMPLIED_TOLERANCE.joint * range);
          assertAlmostEquals(implied.max, mean + std, IMPLIED_TOLERANCE.joint * range);
        } else {
          const truth = ranges.get(s.variable)!;
          const range = truth.max - truth.min;
          assertAlmostEquals(implied.min, truth.min, IMPLIED_TOLERANCE.row * range);
          assertAlmostEquals(implied.max, truth.max, IMPLIED_TOLERANCE.row * range);
        }
        if (c.data !== undefined) assertEquals(s.evidence, ["model", "data"]);
      }
      // A swap: each row holds the other's constants.
      for (const s of v.scaling.suspects.filter((s) => s.kind === "swap")) {
        const other = v.scaling.suspects.find((o) => o.variable === s.with)!;
        assertEquals(other.with, s.variable);
        assertEquals(s.implied, other.file);
      }
      if (v.cause === "architecture") {
        // The model does not move along a direction its first-layer LayerNorm removes;
        // the reference does.
        const shift = r.audits.structure.probes.find((p) => p.direction === "shift")!;
        assertLess(shift.ratio, 1e-6);
        assert(shift.reference > 0.1);
      }
    });
  }
});

Deno.test("metrics.json carries verdict.cause, causes, scaling.suspects and userJacobian.hypothesis, points 1-based", async () => {
  const cases = await readFaultCases();
  const swap = await runFaultCase(cases.find((c) => c.name === "output rows swapped")!);
  const dir = await Deno.makeTempDir();
  await writeCheckOutputs(swap, dir);
  const metrics = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
  assertEquals(metrics.verdict.cause, "scaling-file");
  assertEquals(metrics.verdict.causes, ["scaling-file", "derivative-fit"]);
  assertEquals(
    metrics.verdict.scaling.suspects.map((s: { variable: string }) => s.variable).sort(),
    ["f1", "f2"],
  );
  assertEquals(metrics.verdict.userJacobian, undefined);
  assertEquals(metrics.pointIndexBase, 1);
  // The worst point of the table is the same point in the printed text and in metrics.json.
  const entry = swap.comparisons.fit.entries[0]!;
  assertEquals(metrics.fit.entries[0].worst[0].point, entry.worst[0]!.point + 1);
  const inverse = await runFaultCase(cases.find((c) => c.name === "your Jacobian: inverse")!);
  await writeCheckOutputs(inverse, dir);
  const m2 = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
  assertEquals(m2.verdict.userJacobian.hypothesis, "inverse");
  assert(m2.verdict.userJacobian.formula.includes("range(f_i) / range(x_j)"));
});
