/**
 * The CLI contracts of DESIGN.md: exit codes, one-line errors, file layouts.
 * Each case runs `lib/cli/main.ts` in a subprocess, as a user would.
 */
import { readNumericCsv } from "../../lib/io/table.ts";
import { assertEquals, assertLessOrEqual } from "../_assert.ts";
import { assertOneLineError, partials, partialsCsv, seedPoints } from "./_partials.ts";
import { bundledPaths, SEED } from "../_bundled.ts";

Deno.test("partials sample gives byte-identical files for the same seed", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/bounds.csv`, "Variable,Min,Max\nx1,0,1\nx2,0,2\n");
  for (const name of ["a", "b"]) {
    const r = await partials(
      "sample",
      "--bounds",
      `${dir}/bounds.csv`,
      "--n",
      "200",
      "--seed",
      "1",
      "--out",
      `${dir}/${name}.csv`,
    );
    assertEquals(r.code, 0, r.stderr);
  }
  assertEquals(await Deno.readFile(`${dir}/a.csv`), await Deno.readFile(`${dir}/b.csv`));
  const t = await readNumericCsv(`${dir}/a.csv`);
  assertEquals(t.columns, ["x1", "x2"]);
  assertEquals(t.rows, 200);
});

Deno.test("partials refuses bad input with a one-line error and the right exit code", async (t) => {
  const dir = await Deno.makeTempDir();
  const model = bundledPaths("mlp").onnx;
  await Deno.writeTextFile(`${dir}/bad_scaling.csv`, "not,a,scaling\n");
  await Deno.writeTextFile(`${dir}/short_scaling.csv`, "Variable,Min,Max\nx1,0,1\nx2,0,1\n");
  await Deno.writeTextFile(
    `${dir}/zero_range.csv`,
    "Variable,Min,Max\nx1,1,1\nx2,0,1\nx3,0,1\nx4,0,1\nf1,0,1\nf2,0,1\nf3,0,1\nf4,0,1\n",
  );
  await Deno.writeTextFile(`${dir}/bad_inputs.csv`, "x1,x2,x3,x4\n1,2,abc,4\n");
  await Deno.writeTextFile(`${dir}/empty.csv`, "");
  await Deno.writeTextFile(`${dir}/ragged.csv`, "x1,x2,x3,x4\n1,2,3,4\n1,2,3\n");
  await Deno.writeTextFile(`${dir}/nan.csv`, "x1,x2,x3,x4\n1,2,3,4\n1,NaN,3,4\n");
  await Deno.writeTextFile(`${dir}/renamed.csv`, "a,b,c,d\n1,1,1,1\n");
  await Deno.writeTextFile(`${dir}/bounds.csv`, "Variable,Min,Max\nx1,2,1\n");
  /** `<command> --model M --inputs X [--scaling S] --out <dir>/<out>` plus extra arguments. */
  const run = (
    command: "forward" | "jacobian",
    inputs: string,
    scaling?: string,
    ...extra: string[]
  ) => [
    command,
    "--model",
    model,
    "--inputs",
    inputs,
    ...(scaling ? ["--scaling", scaling] : []),
    ...extra,
    "--out",
    `${dir}/${command === "forward" ? "y" : "j"}.csv`,
  ];
  const cases: [string, string[], number, string][] = [
    [
      "scaling without Min/Max",
      run("forward", SEED.inputs, `${dir}/bad_scaling.csv`),
      1,
      'missing column "Min"',
    ],
    [
      "scaling with too few rows",
      run("forward", SEED.inputs, `${dir}/short_scaling.csv`),
      1,
      "needs 8",
    ],
    ["zero range", run("jacobian", SEED.inputs, `${dir}/zero_range.csv`), 1, "x1"],
    [
      "non-numeric input cell",
      run("forward", `${dir}/bad_inputs.csv`, SEED.scaling),
      1,
      'line 2, column "x3": "abc" is not a number',
    ],
    [
      "inputs named other than the scaling file",
      run("forward", `${dir}/renamed.csv`, SEED.scaling),
      1,
      'the inputs CSV\'s column 1 is "a", the scaling file\'s input 1 is "x1"',
    ],
    ["empty inputs file", run("jacobian", `${dir}/empty.csv`), 1, "the file is empty"],
    [
      "ragged inputs row",
      run("jacobian", `${dir}/ragged.csv`),
      1,
      "row at line 3 has 3 cells, the header has 4",
    ],
    ["NaN input", run("jacobian", `${dir}/nan.csv`), 1, 'line 3, column "x2": NaN is not finite'],
    [
      "missing model file",
      ["forward", "--model", `${dir}/nope.onnx`, "--inputs", SEED.inputs, "--out", `${dir}/y.csv`],
      1,
      "nope.onnx: no such file",
    ],
    ["truncated model file", ["inspect", `${dir}/bad_inputs.csv`], 1, "not a valid ONNX model"],
    ["unknown engine", run("forward", SEED.inputs, undefined, "--engine", "gpu"), 2, "gpu"],
    ["missing required option", ["jacobian", "--model", model], 2, "--inputs"],
    [
      "non-integer --n",
      ["sample", "--bounds", `${dir}/bounds.csv`, "--n", "ten", "--out", `${dir}/s.csv`],
      2,
      'Invalid --n: "ten"',
    ],
    [
      "Min above Max in bounds",
      ["sample", "--bounds", `${dir}/bounds.csv`, "--n", "10", "--out", `${dir}/s.csv`],
      1,
      "x1",
    ],
  ];
  for (const [name, args, code, message] of cases) {
    await t.step(name, async () => assertOneLineError(await partials(...args), code, message));
  }
  // Nothing was written by the failed runs.
  for (const f of ["y.csv", "j.csv", "s.csv"]) {
    assertEquals(await Deno.stat(`${dir}/${f}`).then(() => true, () => false), false, f);
  }
});

Deno.test("partials jacobian writes d<out>_d<in> columns output-major, matching PyTorch's Jacobian", async () => {
  const dir = await Deno.makeTempDir();
  const paths = bundledPaths("effkan");
  const { table: j } = await partialsCsv(`${dir}/j.csv`, 0, "jacobian", ...seedPoints(paths.onnx));
  assertEquals(j.columns.slice(4, 7), ["df1_dx1", "df1_dx2", "df1_dx3"]);
  assertEquals(j.columns[19], "df4_dx4");
  const oracle = JSON.parse(await Deno.readTextFile(paths.oracle));
  // Entry df4_dx1 at the first point, float32 autodiff vs PyTorch float64 (range of df4/dx1 ~ 1e3).
  const expected = oracle.jacobian_physical[0][3][0] as number;
  const got = j.data[4 + 12]!;
  assertLessOrEqual(Math.abs(got - expected), 1e-4 * Math.abs(expected) + 1e-3);
});

Deno.test("partials inspect --weights maps every state_dict key of the bundled models", async () => {
  for (const name of ["fastkan", "effkan"]) {
    const paths = bundledPaths(name);
    const r = await partials("inspect", paths.onnx, "--weights", paths.pth, "--json");
    assertEquals(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assertEquals(report.coverage, 1);
    assertEquals(report.producer, "pytorch");
  }
});
