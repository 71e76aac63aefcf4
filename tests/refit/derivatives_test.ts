import { join } from "node:path";
import { assertAlmostEquals, assertEquals, assertLess } from "../_assert.ts";
import { bundledPaths, SEED } from "../_bundled.ts";
import { main } from "../../lib/cli/main.ts";
import { makeTable, readNumericCsv, writeNumericCsv } from "../../lib/io/table.ts";
import { jacobianColumnName } from "../../lib/jacobian/types.ts";
import { loadReference } from "../../lib/reference/load.ts";

/** Agreement required between the refit on measured derivatives and on the equations. */
const IMPROVEMENT_RTOL = 0.2;

interface Summary {
  valuesFromModel: boolean;
  split: { train: number; holdout: number; added: number };
  metrics: {
    before: { outputs: { jacobianRowNormalizedError: number; r2: number }[] };
    after: { outputs: { jacobianRowNormalizedError: number; r2: number }[] };
  };
}

/** Runs `partials refit` with the given target options; returns summary.json. */
async function runRefit(dir: string, name: string, targets: string[]): Promise<Summary> {
  const p = bundledPaths("fastkan");
  const out = join(dir, name);
  const code = await main([
    "refit",
    "--model",
    p.onnx,
    "--scaling",
    p.scaling,
    ...targets,
    "--epochs",
    "4",
    "--lbfgs",
    "15",
    "--budget",
    "10m",
    "--out",
    out,
  ]);
  assertEquals(code, 0);
  return JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
}

/** Worst held-out row-normalized Jacobian error before ÷ after, per output. */
const improvement = (s: Summary) =>
  s.metrics.before.outputs.map((b, i) =>
    b.jacobianRowNormalizedError / s.metrics.after.outputs[i]!.jacobianRowNormalizedError
  );

Deno.test("refit --derivatives on the equations' derivatives saved as CSV reproduces the --reference refit's improvement within 20 %", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // 150 sample points and the equations' values and derivatives there, physical units.
    const samples = await readNumericCsv(SEED.samples);
    const rows = 150;
    const reference = await loadReference(SEED.equations);
    const n = reference.inputs.length, m = reference.outputs.length;
    const x = new Float64Array(rows * n);
    for (let k = 0; k < rows; k++) {
      reference.inputs.forEach((name, j) => {
        x[k * n + j] = samples.data[k * samples.columns.length + samples.columns.indexOf(name)]!;
      });
    }
    const r = reference.evaluate(x, rows);
    const samplesPath = join(dir, "samples.csv");
    await writeNumericCsv(samplesPath, makeTable([...reference.inputs], x));
    // The measured-data layout, columns in another order: derivatives first, then outputs, then inputs.
    const derivNames = reference.outputs.flatMap((o) =>
      reference.inputs.map((i) => jacobianColumnName(o, i))
    );
    const columns = [...derivNames, ...reference.outputs, ...reference.inputs];
    const cells = new Float64Array(rows * columns.length);
    for (let k = 0; k < rows; k++) {
      const row = [
        ...r.jacobian.subarray(k * m * n, (k + 1) * m * n),
        ...r.values.subarray(k * m, (k + 1) * m),
        ...x.subarray(k * n, (k + 1) * n),
      ];
      cells.set(row, k * columns.length);
    }
    const measured = join(dir, "measured.csv");
    await writeNumericCsv(measured, makeTable(columns, cells));
    // Derivatives only, no output columns: values are anchored to the starting model.
    const derivOnly = join(dir, "derivatives_only.csv");
    const onlyCells = new Float64Array(rows * (n + m * n));
    for (let k = 0; k < rows; k++) {
      onlyCells.set([
        ...x.subarray(k * n, (k + 1) * n),
        ...r.jacobian.subarray(k * m * n, (k + 1) * m * n),
      ], k * (n + m * n));
    }
    await writeNumericCsv(derivOnly, makeTable([...reference.inputs, ...derivNames], onlyCells));

    // Same points as the measured data: no adaptive sampling, which only equations allow.
    const analytic = await runRefit(dir, "analytic", [
      "--reference",
      SEED.equations,
      "--samples",
      samplesPath,
      "--no-adaptive",
    ]);
    const fromData = await runRefit(dir, "measured", ["--derivatives", measured]);
    const fromDerivatives = await runRefit(dir, "derivatives_only", ["--derivatives", derivOnly]);
    assertEquals(fromData.split, analytic.split);
    assertEquals(fromData.valuesFromModel, false);
    assertEquals(fromDerivatives.valuesFromModel, true);
    const a = improvement(analytic);
    for (const gain of a) assertLess(1.5, gain); // the refit helps at all
    for (const s of [fromData, fromDerivatives]) {
      improvement(s).forEach((g, i) =>
        assertAlmostEquals(g / a[i]!, 1, IMPROVEMENT_RTOL, `output ${i}`)
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
