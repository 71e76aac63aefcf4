import { checkModel } from "../../lib/check/check.ts";
import { checkOracleParity, readOracle } from "../../lib/check/oracle.ts";
import { jacobianResultsTable, predictionTable, writeCheckOutputs } from "../../lib/check/write.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import { loadReference } from "../../lib/reference/load.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertFalse,
  assertGreater,
  assertLessOrEqual,
  assertRejects,
  assertStringIncludes,
} from "../_assert.ts";
import { bundledPaths, flat, SEED } from "../_bundled.ts";
import { handJacobian } from "../_seed_equations.ts";

/** Tolerance of a CSV round trip: values are written in shortest round-trip form. */
const CSV_EXACT = 0;

/** The seed equations' Jacobian, derived by hand (float64), as `[4][4]`. */
function seedJacobian(x: number[]): number[][] {
  const flat = handJacobian(x);
  return [0, 1, 2, 3].map((i) => flat.slice(4 * i, 4 * i + 4));
}

Deno.test("checkModel() on the bundled MLP: the engines agree, the values under-fit (R² 0.90 < 0.99)", async () => {
  const paths = bundledPaths("mlp");
  const surrogate = await loadSurrogate(paths.onnx, { scaling: SEED.scaling });
  try {
    const x = (await readNumericCsv(SEED.inputs)).data;
    const r = await checkModel(surrogate, await loadReference(SEED.equations), x);
    assertEquals(r.points, 200);
    // The reference Jacobian is the hand-derived one.
    for (const k of [0, 57, 199]) {
      const expected = seedJacobian([...x.subarray(4 * k, 4 * k + 4)]).flat();
      expected.forEach((v, e) =>
        assertAlmostEquals(
          r.jacobians.reference.values[16 * k + e]!,
          v,
          1e-12 * Math.max(1, Math.abs(v)),
        )
      );
    }
    assert(r.verdict.scalingConsistent);
    assert(r.verdict.differentiationCorrect);
    assertFalse(r.verdict.fitDerivativesGood);
    assertEquals(r.verdict.cause, "underfit");
    assertEquals(r.verdict.scaling.suspects, []);
    assertStringIncludes(r.verdict.summary, "R² as low as 0.9004 (f3)");
    // The fit error is measured independently of the toolkit's own Jacobian:
    // PyTorch's float64 Jacobian against the hand-derived one gives the same worst row error.
    const oracle = JSON.parse(await Deno.readTextFile(paths.oracle));
    const torch = flat(oracle.jacobian_physical);
    let worstF1 = 0;
    let scaleF1 = 0;
    for (let k = 0; k < 200; k++) {
      const ref = seedJacobian([...x.subarray(4 * k, 4 * k + 4)]);
      for (let j = 0; j < 4; j++) {
        worstF1 = Math.max(worstF1, Math.abs(torch[16 * k + j]! - ref[0]![j]!));
        scaleF1 = Math.max(scaleF1, Math.abs(ref[0]![j]!));
      }
    }
    const f1 = r.comparisons.fit.perOutput.find((o) => o.output === "f1")!;
    assertAlmostEquals(f1.rowNormalizedError, worstF1 / scaleF1, 1e-4);
    assertGreater(f1.rowNormalizedError, 0.05);
  } finally {
    await surrogate.dispose();
  }
});

Deno.test("checkOracleParity() reproduces PyTorch for the bundled FastKAN within the issue's bounds", async () => {
  const paths = bundledPaths("fastkan");
  const surrogate = await loadSurrogate(paths.onnx, { scaling: paths.scaling });
  try {
    const p = await checkOracleParity(surrogate, await readOracle(paths.oracle));
    assertLessOrEqual(p.forwardOrt.value, 1e-5);
    assertLessOrEqual(p.forwardTf.value, 1e-5);
    assertLessOrEqual(p.autodiff.value, 1e-4);
    assertLessOrEqual(p.finiteDifferences.value, 1e-3);
    assert(p.autodiff.pass && p.finiteDifferences.pass);
  } finally {
    await surrogate.dispose();
  }
});

Deno.test("writeCheckOutputs() writes the user's layouts: df1_dx1, df1_dx1_true, Predicted_f1, True_f1", async () => {
  const surrogate = await loadSurrogate(bundledPaths("effkan").onnx, { scaling: SEED.scaling });
  try {
    const x = (await readNumericCsv(SEED.inputs)).data.subarray(0, 40);
    const r = await checkModel(surrogate, await loadReference(SEED.equations), x, {
      diagnostics: false,
    });
    const dir = await Deno.makeTempDir();
    await writeCheckOutputs(r, dir);
    const jac = await readNumericCsv(`${dir}/jacobian_results.csv`);
    assertEquals(jac.columns.slice(0, 7), [
      "x1",
      "x2",
      "x3",
      "x4",
      "df1_dx1",
      "df1_dx1_true",
      "df1_dx2",
    ]);
    assertEquals(jac.columns.at(-1), "df4_dx4_true");
    assertEquals(jac.columns.length, 4 + 32);
    const table = jacobianResultsTable(r);
    table.data.forEach((v, i) => assertAlmostEquals(jac.data[i]!, v, CSV_EXACT));
    // df2_dx3_true is the constant 5 of f2 = … + 5*x3 + …
    assertEquals(jac.data[jac.columns.indexOf("df2_dx3_true")], 5);
    const pred = await readNumericCsv(`${dir}/prediction.csv`);
    assertEquals(pred.columns, predictionTable(r).columns);
    assertEquals(pred.columns.slice(4), [
      "Predicted_f1",
      "Predicted_f2",
      "Predicted_f3",
      "Predicted_f4",
      "True_f1",
      "True_f2",
      "True_f3",
      "True_f4",
    ]);
    const metrics = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
    assertEquals(metrics.points, 10);
    assertEquals(typeof metrics.verdict.diagnosis, "string");
    assertStringIncludes(await Deno.readTextFile(`${dir}/report.html`), "<svg");
  } finally {
    await surrogate.dispose();
  }
});

Deno.test("checkModel() skips rows where the reference is undefined and says so", async () => {
  const surrogate = await loadSurrogate(bundledPaths("mlp").onnx, { scaling: SEED.scaling });
  try {
    // x3 < 0 makes 0.1*x3^(7/2) complex: that row is dropped, the other kept.
    const x = Float64Array.of(1, 1, -0.5, 1, 1.5, 1.5, 1.5, 1.5);
    const r = await checkModel(surrogate, await loadReference(SEED.equations), x, {
      diagnostics: false,
    });
    assertEquals(r.points, 1);
    assertEquals(r.droppedRows, [0]);
    assertStringIncludes(r.droppedReasons[0]!, "f1");
  } finally {
    await surrogate.dispose();
  }
});

Deno.test("checkModel() refuses a reference whose variables the model does not have", async () => {
  const surrogate = await loadSurrogate(bundledPaths("mlp").onnx, { scaling: SEED.scaling });
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/r.json`,
    JSON.stringify({
      inputs: ["a", "b", "c", "d"],
      outputs: { f1: "a", f2: "b", f3: "c", f4: "d" },
    }),
  );
  try {
    await assertRejects(
      async () =>
        checkModel(surrogate, await loadReference(`${dir}/r.json`), Float64Array.of(1, 1, 1, 1)),
      TypeError,
      "model inputs x1, x2, x3, x4 are not in the reference (a, b, c, d)",
    );
  } finally {
    await surrogate.dispose();
  }
});
