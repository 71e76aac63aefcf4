/**
 * `deno task verify`: the main job. For every bundled PyTorch-trained model (or
 * the model you name), it checks that the toolkit reproduces PyTorch (forward
 * and Jacobians) and that its own engines agree, audits the scaling constants
 * (and with `--jacobian`/`--data` the user's Jacobian and training data), then
 * compares the model's Jacobian with the analytic reference and gives one
 * verdict with its cause per model. Writes `out/verify/<model>/`
 * (`jacobian_results.csv`, `prediction.csv`, `metrics.json`, `report.html`) and
 * `index.html` over the models.
 * Exits 1 if the engines disagree (PyTorch parity or cause `differentiation`),
 * 3 if a cause named by `--fail-on` is found, else 0: a finding is not a failure.
 *
 * Usage:
 *   deno task verify
 *   deno task verify --model M.onnx --scaling S.csv --inputs X.csv --reference R.json
 *     [--weights W] [--exported-weights E] [--out DIR] [--jacobian J.csv] [--data D.csv]
 *     [--rtol R] [--atol A] [--r2-min R2] [--fit-tol F] [--fail-on CAUSES|any]
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { basename, dirname, join, relative } from "node:path";
import { folderNames, freeFolder } from "../lib/io/folder_names.ts";
import { enterUserDirectory } from "../lib/cli/_cwd.ts";
import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { checkModel, type CheckResult } from "../lib/check/check.ts";
import { parseVerdictOptions } from "../lib/cli/commands/check.ts";
import { UsageError } from "../lib/cli/_errors.ts";
import { addVerdictOptions } from "../lib/cli/_options.ts";
import { readNumericCsv } from "../lib/io/table.ts";
import { verdictExitCode } from "../lib/verdict/fail_on.ts";
import { readUserJacobian } from "../lib/verdict/user_jacobian.ts";
import {
  checkOracleParity,
  type OracleParity,
  oracleStepSweep,
  readOracle,
} from "../lib/check/oracle.ts";
import type { StepSweepRow } from "../lib/jacobian/finite_differences.ts";
import { checkSummary, formatCheckResult, writeCheckOutputs } from "../lib/check/write.ts";
import { loadReference } from "../lib/reference/load.ts";
import { loadSurrogateWithInputs } from "../lib/surrogate/surrogate.ts";
import { noteBatch } from "../lib/cli/_notes.ts";
import { setQuiet, warn } from "../lib/cli/_warn.ts";
import { printJson } from "../lib/cli/_result.ts";
import { usageErrorLine } from "../lib/cli/_usage.ts";
import { initTf } from "../lib/tf/backend.ts";
import { formatColumns } from "../lib/cli/_table.ts";
import { writeVerifyIndex } from "../lib/report/index_page.ts";
import { checkStatus } from "../lib/report/status.ts";

const root = new URL("../", import.meta.url).pathname;
const SEED = {
  scaling: join(root, "data/seed/olhs_samples_max_min.csv"),
  inputs: join(root, "data/seed/olhs_input.csv"),
  reference: join(root, "data/seed/equations.json"),
};

interface ModelReport {
  name: string;
  parity?: OracleParity;
  sweep?: StepSweepRow[];
  check: CheckResult;
  seconds: number;
}

async function bundledModels(): Promise<string[]> {
  const dir = join(root, "data/models");
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isDirectory) names.push(e.name);
  const paths: string[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name, "model.onnx");
    try {
      await Deno.stat(path);
      paths.push(relative(Deno.cwd(), path));
    } catch {
      // A folder without a model is not a bundled model.
    }
  }
  return paths;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function verifyOne(
  model: string,
  folder: string,
  options: {
    scaling?: string;
    inputs: string;
    reference: string;
    weights?: string;
    exportedWeights?: string;
    out: string;
    jacobian?: string;
    data?: string;
    tolerances: ReturnType<typeof parseVerdictOptions>["tolerances"];
    method?: "graph" | "autodiff";
  },
): Promise<ModelReport> {
  const started = performance.now();
  const name = basename(folder);
  const { surrogate, x, warnings } = await loadSurrogateWithInputs(model, {
    inputs: options.inputs,
    ...(options.scaling !== undefined ? { scaling: options.scaling } : {}),
    ...(options.weights !== undefined ? { weights: options.weights } : {}),
    ...(options.exportedWeights !== undefined ? { exportedWeights: options.exportedWeights } : {}),
  });
  noteBatch(surrogate);
  try {
    for (const warning of warnings) warn(warning);
    const reference = await loadReference(options.reference);
    const oraclePath = join(dirname(model), "oracle.json");
    const oracle = options.weights === undefined && await exists(oraclePath)
      ? await readOracle(oraclePath)
      : undefined;
    const parity = oracle ? await checkOracleParity(surrogate, oracle) : undefined;
    const sweep = oracle ? await oracleStepSweep(surrogate, oracle) : undefined;
    const userJacobian = options.jacobian === undefined ? undefined : readUserJacobian(
      await readNumericCsv(options.jacobian),
      surrogate.inputs,
      surrogate.outputs,
      options.jacobian,
    );
    const check = await checkModel(surrogate, reference, x, {
      ...options.tolerances,
      ...(options.method !== undefined ? { method: options.method } : {}),
      ...(userJacobian ? { userJacobian } : {}),
      ...(options.data !== undefined
        ? { data: { table: await readNumericCsv(options.data), source: options.data } }
        : {}),
    });
    await writeCheckOutputs(check, folder, {
      ...(parity ? { parity } : {}),
      ...(sweep ? { sweep } : {}),
    });
    return {
      name,
      ...(parity ? { parity } : {}),
      ...(sweep ? { sweep } : {}),
      check,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await surrogate.dispose();
  }
}

function formatParity(p: OracleParity): string {
  const line = (label: string, m: OracleParity["forwardOrt"]) =>
    `  ${label.padEnd(48)} ${
      m.value.toExponential(1).padStart(8)
    }  (≤ ${m.tolerance}, worst ${m.where})  ${m.pass ? "ok" : "FAIL"}`;
  return [
    `PyTorch parity at the oracle's ${p.points} points (fraction of each output's / entry's range):`,
    line("forward, onnxruntime float32 vs PyTorch", p.forwardOrt),
    line("forward, tfjs rebuild float32 vs PyTorch", p.forwardTf),
    line("Jacobian, tfjs autodiff vs PyTorch float64", p.autodiff),
    line("Jacobian, float64 finite differences vs PyTorch", p.finiteDifferences),
    ...(p.graph ? [line("Jacobian, derivative graph float32 vs PyTorch float64", p.graph)] : []),
    ...(p.graph64
      ? [line("Jacobian, derivative graph float64 vs PyTorch float64", p.graph64)]
      : []),
  ].join("\n");
}

function consistent(r: ModelReport): boolean {
  const p = r.parity;
  const parityOk = p === undefined ||
    [p.forwardOrt, p.forwardTf, p.autodiff, p.finiteDifferences, p.graph, p.graph64].every((m) =>
      m === undefined || m.pass
    );
  return parityOk && !r.check.verdict.causes.includes("differentiation");
}

function summary(reports: readonly ModelReport[]): string {
  const sci = (v: number | undefined) => v === undefined ? "-" : v.toExponential(1);
  const rows = reports.map((r) => {
    const c = r.check.comparisons;
    return [
      r.name,
      sci(r.parity ? Math.max(r.parity.forwardOrt.value, r.parity.forwardTf.value) : undefined),
      sci(r.parity?.graph?.value),
      sci(r.parity?.autodiff.value),
      sci(r.parity?.finiteDifferences.value),
      sci(c.scaling.worstRowNormalized.value),
      sci(c.differentiation.worstRangeNormalized.value),
      Math.min(...r.check.values.outputs.map((o) => o.r2)).toFixed(4),
      `${sci(c.fit.worstRowNormalized.value)} (${c.fit.worstRowNormalized.output})`,
      consistent(r) ? r.check.verdict.causes.join(", ") || "ok" : "INCONSISTENT",
    ];
  });
  return formatColumns(
    [
      "model",
      "fwd vs torch",
      "graph vs torch",
      "AD vs torch",
      "FD vs torch",
      "chain rule",
      "AD vs FD",
      "min R²",
      "fit J error (row)",
      "causes",
    ],
    rows,
  );
}

async function main(args: string[]): Promise<number> {
  enterUserDirectory();
  const files = new Command()
    .name("deno task verify")
    .description("Check the Jacobians of the bundled models, or of yours")
    .option(
      "--model <file>",
      "ONNX model, repeatable (default: every data/models/*/model.onnx)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--scaling <file>", "scaling file (default with the bundled models: the seed case's)")
    .option("--inputs <file>", "evaluation points CSV, physical units")
    .option("--reference <file>", "analytic reference (equations JSON or TypeScript module)")
    .option("--weights <file>", "state_dict replacing the ONNX weights")
    .option(
      "--exported-weights <file>",
      "the state_dict the ONNX file was exported with (default: model.pth beside the model)",
    )
    .option("--out <dir>", "output folder", join(root, "out/verify"))
    .option("--jacobian <file>", "your own Jacobian CSV, tested against the model's (one --model)")
    .option("--data <file>", "your training data CSV (inputs and outputs, physical units)");
  const program = addVerdictOptions(files, {
    fitTol: "verdict: largest row-normalized Jacobian error (default 0.05)",
    failOn: "exit 3 when one of these causes is found (comma list, or any)",
  })
    .option("-q, --quiet", "no warnings on standard error")
    .option("--json", "print the results as JSON on standard output instead of the text")
    .option("--debug", "print stack traces on errors")
    .addOption(
      new Option(
        "--method <method>",
        "the model's Jacobian: graph (the derivative graph, default) or autodiff (tfjs)",
      ).choices(["graph", "autodiff"] as const),
    )
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  try {
    program.parse(args, { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError) || error.code === "commander.helpDisplayed") throw error;
    throw new UsageError(usageErrorLine(program, args, error).replace(/^error: /, ""));
  }
  const o = program.opts();
  setQuiet(o.quiet === true);
  const log = (...lines: unknown[]) => {
    if (!o.json) console.log(...lines);
  };
  const { tolerances, failOn } = parseVerdictOptions(o);
  const started = performance.now();
  const backend = await initTf();
  const ownFiles = o.model.length > 0;
  const models = ownFiles ? o.model : await bundledModels();
  if (o.weights !== undefined && models.length !== 1) {
    throw new Error("Cannot verify: --weights applies to one model, give a single --model");
  }
  if (o.jacobian !== undefined && models.length !== 1) {
    throw new UsageError(
      "Cannot verify: --jacobian is one model's Jacobian, give a single --model",
    );
  }
  const names = folderNames(models);
  const options = {
    inputs: o.inputs ?? SEED.inputs,
    reference: o.reference ?? SEED.reference,
    out: o.out,
    ...(o.scaling !== undefined
      ? { scaling: o.scaling }
      : ownFiles
      ? {}
      : { scaling: SEED.scaling }),
    ...(o.weights !== undefined ? { weights: o.weights } : {}),
    ...(o.exportedWeights !== undefined ? { exportedWeights: o.exportedWeights } : {}),
    ...(o.jacobian !== undefined ? { jacobian: o.jacobian } : {}),
    ...(o.data !== undefined ? { data: o.data } : {}),
    ...(o.method !== undefined ? { method: o.method } : {}),
    tolerances,
  };
  if (ownFiles && (o.inputs === undefined || o.reference === undefined)) {
    throw new Error("Cannot verify your model: give --inputs and --reference with --model");
  }
  log(`partials verify: ${models.length} model(s), tfjs backend ${backend}\n`);
  const reports: ModelReport[] = [];
  for (const [i, model] of models.entries()) {
    const r = await verifyOne(model, await freeFolder(options.out, names[i]!, model), options);
    reports.push(r);
    log(`=== ${r.name} (${relative(Deno.cwd(), model)}) ===`);
    if (r.parity) log(formatParity(r.parity));
    if (r.sweep) {
      log(
        "  finite-difference step sweep, h/range: max |D(h) − J_torch| / max |J_torch|\n    " +
          r.sweep.map((s) => `${s.step.toExponential(0)}: ${s.maxRelativeError.toExponential(1)}`)
            .join("  "),
        "\n",
      );
    }
    log(formatCheckResult(r.check));
    log(
      `(${r.seconds.toFixed(1)} s; files in ${relative(Deno.cwd(), join(options.out, r.name))})\n`,
    );
  }
  const index = await writeVerifyIndex(
    options.out,
    reports.map((r) => ({
      name: r.name,
      href: `${encodeURIComponent(r.name)}/report.html`,
      check: r.check,
      status: checkStatus(r.check, r.parity ? { parity: r.parity } : {}),
      ...(r.parity ? { parity: r.parity } : {}),
    })),
    { subtitle: `${reports.length} model(s) on tfjs ${backend}` },
  );
  log(
    "Summary (errors as fractions of range: forward per output, Jacobians per entry or row):",
  );
  log(summary(reports));
  const failed = reports.filter((r) => !consistent(r));
  log(
    `\n${reports.length - failed.length} of ${reports.length} models consistent ` +
      `(chain rule, differentiation${reports.some((r) => r.parity) ? ", PyTorch parity" : ""}) in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
  );
  log(`Reports: ${relative(Deno.cwd(), index)}`);
  if (o.json) {
    printJson({
      backend,
      consistent: reports.length - failed.length,
      models: reports.map((r) => ({
        name: r.name,
        folder: join(options.out, r.name),
        seconds: r.seconds,
        consistent: consistent(r),
        ...checkSummary(r.check, r.parity ? { parity: r.parity } : {}),
      })),
      index,
      seconds: (performance.now() - started) / 1000,
    });
  }
  if (failed.length > 0) return 1;
  const codes = reports.map((r) => verdictExitCode(r.check.verdict.causes, failOn));
  if (codes.includes(3)) {
    console.error(
      `--fail-on: found ${
        reports.filter((_, i) => codes[i] === 3).map((r) =>
          `${r.name} (${r.check.verdict.causes.filter((c) => failOn.has(c)).join(", ")})`
        ).join("; ")
      } (exit 3)`,
    );
    return 3;
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    const e = error as Error & { code?: string; exitCode?: number };
    if (e.code === "commander.helpDisplayed") Deno.exit(0);
    console.error(`error: ${e.message.split("\n")[0]}`);
    if (Deno.args.includes("--debug")) console.error(e.stack);
    Deno.exit(error instanceof UsageError ? 2 : 1);
  }
}
