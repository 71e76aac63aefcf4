import { join } from "node:path";
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { bundledPaths, SEED } from "../_bundled.ts";
import { main } from "../../lib/cli/main.ts";
import { makeTable } from "../../lib/io/table.ts";
import { referenceFromEquations } from "../../lib/reference/equations.ts";
import {
  derivativesFromTable,
  readDerivativesCsv,
  refitDataFromReference,
} from "../../lib/refit/data.ts";
import { refit } from "../../lib/refit/refit.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";

const NAMES = { inputs: ["x1", "x2"], outputs: ["f1"] };

Deno.test("readDerivativesCsv() reads inputs, outputs and d<out>_d<in> columns in any order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "measured.csv");
    await Deno.writeTextFile(
      path,
      "df1_dx2,x2,f1,x1,df1_dx1,note\n4,2,7,3,1.5,0\n-1,0.5,2,1,2.5,9\n",
    );
    const data = await readDerivativesCsv(path, NAMES);
    assertEquals(data.points, 2);
    assertEquals(Array.from(data.x), [3, 2, 1, 0.5]);
    assertEquals(Array.from(data.values), [7, 2]);
    assertEquals(Array.from(data.jacobian!), [1.5, 4, 2.5, -1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readDerivativesCsv() refuses a file lacking a d<out>_d<in> column, naming file and column", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "measured.csv");
    await Deno.writeTextFile(path, "x1,x2,f1,df1_dx1\n1,2,3,4\n");
    const error = await assertRejects(() => readDerivativesCsv(path, NAMES), TypeError, "df1_dx2");
    assertEquals(error.message.includes(path), true);
    assertEquals(error.message.includes("\n"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("derivativesFromTable() names a missing output column", () => {
  const t = makeTable(["x1", "x2", "df1_dx1", "df1_dx2"], new Float64Array([1, 2, 3, 4]));
  assertThrows(() => derivativesFromTable(t, "m.csv", NAMES), TypeError, 'm.csv: no column "f1"');
});

Deno.test("refitDataFromReference() refuses points where the reference is undefined, naming the row", () => {
  const reference = referenceFromEquations({ inputs: ["x"], outputs: { f: "sqrt(x)" } }, "r.json");
  assertThrows(
    () => refitDataFromReference(reference, new Float64Array([1, -4]), { source: "s.csv" }),
    RangeError,
    "row 2",
  );
});

Deno.test("refit() refuses λ > 0 on data without Jacobian targets", async () => {
  const p = bundledPaths("mlp");
  const surrogate = await loadSurrogate(p.onnx, { scaling: p.scaling });
  try {
    const data = {
      source: "values.csv",
      points: 2,
      inputs: surrogate.inputs,
      outputs: surrogate.outputs,
      x: new Float64Array(8).fill(1),
      values: new Float64Array(8).fill(1),
    };
    await assertRejects(() => refit(surrogate, data, { lambda: 1 }), TypeError, "values.csv");
  } finally {
    await surrogate.dispose();
  }
});

Deno.test("partials refit exits 2 without a reference or derivatives", async () => {
  const p = bundledPaths("mlp");
  const dir = await Deno.makeTempDir();
  try {
    const code = await main([
      "refit",
      "--model",
      p.onnx,
      "--scaling",
      p.scaling,
      "--samples",
      SEED.samples,
      "--out",
      dir,
    ]);
    assertEquals(code, 2);
    assertEquals([...Deno.readDirSync(dir)].length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("partials refit writes model.onnx, model.safetensors, summary.json and report.html", async () => {
  const p = bundledPaths("mlp");
  const dir = await Deno.makeTempDir();
  try {
    const samples = join(dir, "samples.csv");
    const text = await Deno.readTextFile(SEED.samples);
    await Deno.writeTextFile(samples, text.split("\n").slice(0, 121).join("\n") + "\n");
    const out = join(dir, "out");
    const code = await main([
      "refit",
      "--model",
      p.onnx,
      "--scaling",
      p.scaling,
      "--reference",
      SEED.equations,
      "--samples",
      samples,
      "--epochs",
      "1",
      "--lbfgs",
      "2",
      "--no-adaptive",
      "--lambda",
      "0.1",
      "--out",
      out,
    ]);
    assertEquals(code, 0);
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assertEquals(names, ["model.onnx", "model.safetensors", "report.html", "summary.json"]);
    const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    assertEquals(summary.status, "complete");
    // The report: the held-out points before and after, with the refit's history.
    const report = await Deno.readTextFile(join(out, "report.html"));
    assertEquals(report.includes("<script"), false);
    assertEquals((report.match(/<figure/g) ?? []).length, 1 + 2 + 16 + 4);
    assertEquals(report.includes("24 held-out points"), true);
    assertEquals(summary.adamEpochs, 1);
    assertEquals(summary.lbfgs.iterations, 2);
    // one Adam epoch and the closing L-BFGS checkpoint
    assertEquals(summary.history.map((h: { phase: string }) => h.phase), ["adam", "lbfgs"]);
    assertEquals(summary.split, { train: 96, holdout: 24, added: 0 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
