/**
 * The command line behaves like the tools people know: `--version`, `--quiet`,
 * `--json` with real types, help that marks required options and shows an
 * example, "did you mean" on one line, bare `partials` = help and exit 2.
 * Each case runs `lib/cli/main.ts` in a subprocess, as a user would.
 */
import { readNumericCsv } from "../../lib/io/table.ts";
import {
  assert,
  assertEquals,
  assertFalse,
  assertMatch,
  assertStringIncludes,
} from "../_assert.ts";
import { partials, partialsIn } from "./_partials.ts";
import { bundledPaths, SEED } from "../_bundled.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const COMMANDS = [
  "inspect",
  "forward",
  "jacobian",
  "hessian",
  "export-jacobian",
  "check",
  "sample",
  "refit",
] as const;
/** The required options of each command. */
const REQUIRED: Record<(typeof COMMANDS)[number], string[]> = {
  inspect: [],
  forward: ["--model", "--inputs", "--out"],
  jacobian: ["--model", "--inputs", "--out"],
  hessian: ["--model", "--inputs", "--out"],
  "export-jacobian": ["--model", "--out"],
  check: ["--model", "--inputs", "--reference"],
  sample: ["--bounds", "--n", "--out"],
  refit: ["--model", "--scaling", "--out"],
};
const UNUSED = new URL("../testdata/weights/unused/", import.meta.url).pathname;
const MLP = bundledPaths("mlp").onnx;
const SEED_ARGS = ["--model", MLP, "--inputs", SEED.inputs, "--scaling", SEED.scaling];

/** Runs `partials <args> --json`, asserts success and returns the parsed document. */
async function partialsJson(...args: string[]) {
  const r = await partials(...args, "--json");
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Runs `body` with a new temporary folder, removed afterwards. */
async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Lines of a stream's text, without the trailing newline. */
function lines(text: string): string[] {
  return text.trimEnd().split("\n").filter((l) => l !== "");
}

/** Asserts a usage error: exit 2, exactly one line on stderr containing `message`, nothing on stdout. */
function assertUsageLine(r: { code: number; stdout: string; stderr: string }, message: string) {
  assertEquals(r.code, 2, r.stderr);
  assertEquals(lines(r.stderr).length, 1, r.stderr);
  assertMatch(r.stderr, /^error: /);
  assertStringIncludes(r.stderr, message);
  assertEquals(r.stdout, "");
}

Deno.test("partials --version prints the version of deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  for (const flag of ["--version", "-V"]) {
    const r = await partials(flag);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout.trim(), config.version);
  }
});

Deno.test("bare partials prints the help on standard output and exits 2", async () => {
  for (const args of [[], ["--quiet"]]) {
    const r = await partials(...args);
    assertEquals(r.code, 2);
    assertEquals(r.stderr, "");
    assertStringIncludes(r.stdout, "Usage: partials [options] [command]");
    for (const command of COMMANDS) assertStringIncludes(r.stdout, `  ${command} `);
  }
  const help = await partials("--help");
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "Exit codes: 0 ok, 1 failure, 2 usage error");
});

Deno.test("partials usage errors are one line, with a suggestion for a typo", async (t) => {
  await t.step("unknown option, required options missing as well", async () => {
    // Commander checks required options first: the typo must still be named.
    const r = await partials("forward", "--input", SEED.inputs, "--model", MLP, "--out", "y.csv");
    assertUsageLine(r, "unknown option '--input' (did you mean --inputs?)");
  });
  await t.step("unknown option among valid ones", async () => {
    const r = await partials("inspect", MLP, "--wieghts", "w.pth");
    assertUsageLine(r, "unknown option '--wieghts' (did you mean --weights?)");
  });
  await t.step("unknown command", async () => {
    assertUsageLine(await partials("forwrd"), "unknown command 'forwrd' (did you mean forward?)");
  });
  await t.step("missing required option: one line pointing to the command's help", async () => {
    assertUsageLine(
      await partials("jacobian", "--model", MLP),
      "required option '--inputs <file>' not specified (see partials jacobian --help)",
    );
  });
  await t.step("invalid choice", async () => {
    const r = await partials("forward", ...SEED_ARGS, "--engine", "gpu", "--out", "y.csv");
    assertUsageLine(r, "argument 'gpu' is invalid");
  });
  await t.step("global options after the command are accepted", async () => {
    const r = await partials("inspect", MLP, "--quiet", "--debug");
    assertEquals(r.code, 0, r.stderr);
  });
});

Deno.test("partials <command> --help marks required options and shows a runnable example", async () => {
  for (const command of COMMANDS) {
    const r = await partials(command, "--help");
    assertEquals(r.code, 0, r.stderr);
    const help = r.stdout;
    // The required options say so; the optional ones do not.
    for (const line of help.split("\n").filter((l) => /^\s+--/.test(l))) {
      const flag = line.trim().split(/\s+/)[0]!;
      const text = help.slice(help.indexOf(line)).split(/\n\s+-/)[0]!;
      assertEquals(text.includes("(required)"), REQUIRED[command].includes(flag), text);
    }
    assertStringIncludes(help, "Global Options:");
    assertStringIncludes(help, "--quiet");
    const example = help.slice(help.indexOf("Example:"));
    assertStringIncludes(example, `partials ${command} `, command);
    // The example's bundled files exist.
    for (const path of example.match(/data\/\S+/g) ?? []) {
      assert((await Deno.stat(`${ROOT}${path}`)).isFile, `${command}: ${path}`);
    }
    assertStringIncludes(help, "--json");
  }
});

Deno.test("partials --quiet silences warnings, before or after the command", async () => {
  const args = ["inspect", `${UNUSED}model.onnx`, "--weights", `${UNUSED}perturbed.pth`];
  const loud = await partials(...args);
  assertEquals(loud.code, 0, loud.stderr);
  assertStringIncludes(loud.stderr, "warning: ");
  for (const quiet of [["--quiet", ...args], [...args, "--quiet"], ["-q", ...args]]) {
    const r = await partials(...quiet);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stderr, "");
    assertEquals(r.stdout, loud.stdout);
  }
});

Deno.test("partials inspect --json gives shapes as arrays, dtype names and key lists", async () => {
  const paths = bundledPaths("effkan");
  const report = await partialsJson("inspect", paths.onnx, "--weights", paths.pth);
  assertEquals(report.input, { name: "x", shape: [null, 4], dtype: "float" });
  assertEquals(report.output, { name: "y", shape: [null, 4], dtype: "float" });
  const fused = report.initializers.find((i: { kind: string }) => i.kind === "fused");
  assertEquals(fused.shape, [32, 30]);
  assertEquals(fused.dtype, "float");
  assertEquals(fused.keys, ["layers.0.spline_weight", "layers.0.spline_scaler"]);
  // Without weights: the graph's own initializers, typed the same way.
  const bare = JSON.parse((await partials("inspect", MLP, "--json")).stdout);
  const first = bare.initializers[0];
  assertEquals([first.initializer, first.shape, first.dtype, first.keys], [
    "0.weight",
    [100, 4],
    "float",
    [],
  ]);
});

Deno.test("partials forward/jacobian/sample --json describe the CSV they wrote", async () => {
  await inTempDir(async (dir) => {
    const forward = await partials("forward", ...SEED_ARGS, "--out", `${dir}/y.csv`, "--json");
    assertEquals(forward.code, 0, forward.stderr);
    assertEquals(forward.stderr, "", "the line for people is left out");
    const y = await readNumericCsv(`${dir}/y.csv`);
    const f = JSON.parse(forward.stdout);
    assertEquals([f.command, f.engine, f.out], ["forward", "ort", `${dir}/y.csv`]);
    assertEquals([f.rows, f.columns], [y.rows, y.columns]);
    assertEquals(f.outputs, ["f1", "f2", "f3", "f4"]);

    const j = await partialsJson(
      "jacobian",
      ...SEED_ARGS,
      "--method",
      "fd",
      "--out",
      `${dir}/j.csv`,
    );
    const jt = await readNumericCsv(`${dir}/j.csv`);
    assertEquals([j.command, j.method, j.rows, j.columns], ["jacobian", "fd", jt.rows, jt.columns]);
    assertEquals(j.shape, [200, 4, 4]);

    const h = await partialsJson("hessian", ...SEED_ARGS, "--out", `${dir}/h.csv`);
    const ht = await readNumericCsv(`${dir}/h.csv`);
    assertEquals([h.command, h.dtype, h.rows, h.columns], [
      "hessian",
      "float64",
      ht.rows,
      ht.columns,
    ]);
    assertEquals(h.shape, [200, 4, 4, 4]);

    const e = await partialsJson(
      "export-jacobian",
      "--model",
      MLP,
      "--scaling",
      SEED.scaling,
      "--out",
      `${dir}/d.onnx`,
    );
    assertEquals(e.input, { name: "x", shape: [null, 4], names: ["x1", "x2", "x3", "x4"] });
    assertEquals(e.outputs.map((o: { shape: unknown }) => o.shape), [[null, 4], [null, 4, 4]]);
    assert((await Deno.stat(`${dir}/d.onnx`)).size > 0);

    await Deno.writeTextFile(`${dir}/bounds.csv`, "Variable,Min,Max\na,0,1\nb,2,3\n");
    const s = await partialsJson(
      "sample",
      "--bounds",
      `${dir}/bounds.csv`,
      "--n",
      "7",
      "--seed",
      "3",
      "--out",
      `${dir}/s.csv`,
    );
    assertEquals([s.rows, s.columns, s.seed], [7, ["a", "b"], 3]);
    assertEquals((await readNumericCsv(`${dir}/s.csv`)).rows, 7);

    // Both would go to standard output: refused before any work, nothing written.
    assertUsageLine(
      await partials("forward", ...SEED_ARGS, "--out", "-", "--json"),
      "Cannot use --json with --out -",
    );
  });
});

Deno.test("partials check --json prints the verdict and each comparison's worst entry", async () => {
  await inTempDir(async (dir) => {
    const summary = await partialsJson(
      "check",
      ...SEED_ARGS,
      "--reference",
      SEED.equations,
      "--out",
      `${dir}/check`,
    );
    const metrics = JSON.parse(await Deno.readTextFile(`${dir}/check/metrics.json`));
    // The same verdict and numbers as metrics.json, without the per-entry tables.
    assertEquals(summary.verdict, metrics.verdict);
    assertEquals(summary.points, 200);
    assertEquals(
      summary.fit.worstRangeNormalized.value,
      Math.max(
        ...metrics.fit.entries.map((e: { rangeNormalizedError: number }) => e.rangeNormalizedError),
      ),
    );
    assertEquals(summary.fit.allPass, metrics.fit.allPass);
    assertFalse("entries" in summary.fit);
    assertEquals(summary.files.length, 4);
    assert(summary.files.every((f: string) => f.startsWith(`${dir}/check/`)));
  });
});

Deno.test("partials refit --json prints the summary it wrote", async () => {
  await inTempDir(async (dir) => {
    const printed = await partialsJson(
      "refit",
      "--model",
      MLP,
      "--scaling",
      SEED.scaling,
      "--reference",
      SEED.equations,
      "--samples",
      SEED.inputs,
      "--epochs",
      "1",
      "--lbfgs",
      "0",
      "--no-adaptive",
      "--out",
      `${dir}/refit`,
    );
    const { files, ...summary } = printed;
    assertEquals(summary, JSON.parse(await Deno.readTextFile(`${dir}/refit/summary.json`)));
    assertEquals(
      files,
      ["model.onnx", "model.safetensors", "summary.json", "report.html"].map((f) =>
        `${dir}/refit/${f}`
      ),
    );
  });
});

Deno.test("deno task verify --json gives per model the verdict summary; --quiet and --debug are accepted", async () => {
  await inTempDir(async (dir) => {
    const r = await partialsIn(
      { script: `${ROOT}scripts/verify.ts` },
      ...SEED_ARGS,
      "--reference",
      SEED.equations,
      "--out",
      dir,
      "--json",
      "--quiet",
      "--debug",
    );
    assertEquals(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assertEquals(report.models.length, 1);
    const [model] = report.models;
    const metrics = JSON.parse(await Deno.readTextFile(`${model.folder}/metrics.json`));
    assertEquals(model.verdict, metrics.verdict);
    assertEquals(report.consistent, 1);
    const typo = await partialsIn({ script: `${ROOT}scripts/verify.ts` }, "--modle", MLP);
    assertUsageLine(typo, "unknown option '--modle' (did you mean --model?)");
  });
});
