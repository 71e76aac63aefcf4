/**
 * The `partials` command line: a thin layer that parses options, lazily
 * imports one file per command and calls the library. Only this folder prints.
 *
 * Exit codes: 0 on success, 2 for a usage error (unknown option or command,
 * missing argument; bare `partials`, which prints the help), 3 when `check
 * --fail-on` names a cause the verdict found, 130 when SIGINT/SIGTERM stopped
 * a command that saved its work (`refit`), 1 for any other failure. Errors are
 * one line, `error: <message>`, with the stack only under `--debug`.
 * Global options: `--quiet` (no warnings), `--debug`, `--version`. Every
 * command that prints a result takes `--json`.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { Command, CommanderError, Help, Option } from "@commander-js/extra-typings";
import { dirname, join } from "node:path";
import config from "../../deno.json" with { type: "json" };
import { InterruptedError, UsageError } from "./_errors.ts";
import { escapeControl } from "../io/quote.ts";
import { enterUserDirectory } from "./_cwd.ts";
import {
  addModelInputs,
  addOutFile,
  addVerdictOptions,
  addWeights,
  addWeightsAndOut,
  MODEL_HELP,
  SCALING_HELP,
} from "./_options.ts";
import { type OutKind, planPaths, STDOUT } from "./_paths.ts";
import { JSON_HELP } from "./_result.ts";
import { setQuiet } from "./_warn.ts";
import { GLOBAL_FLAGS, usageErrorLine } from "./_usage.ts";

/** Help text after a command's options: an example on the bundled data. */
function example(...lines: string[]): string {
  return `\nExample:\n${lines.map((l, i) => `${i === 0 ? "  " : "      "}${l}`).join(" \\\n")}`;
}

/** `--dtype`: precision of the derivative graph. */
function dtypeOption(fallback: "float32" | "float64") {
  return new Option("--dtype <dtype>", "precision of the derivative graph")
    .choices(["float32", "float64"] as const).default(fallback);
}

function buildProgram(setExitCode: (code: number) => void = () => {}): Command {
  const program = new Command()
    .name("partials")
    .description(
      "Check the derivatives of PyTorch-trained models (ONNX) in physical units, and fix them",
    )
    .version(config.version, "-V, --version", "print the version")
    .option("-q, --quiet", "no warnings on standard error")
    .option("--debug", "print stack traces on errors")
    .configureHelp({
      showGlobalOptions: true,
      optionDescription(option) {
        const text = Help.prototype.optionDescription.call(this, option);
        return option.mandatory ? `${text} (required)` : text;
      },
    })
    .addHelpText(
      "after",
      "\nEach command's --help shows an example on the bundled data.\n" +
        "Exit codes: 0 ok, 1 failure, 2 usage error, 3 a --fail-on cause was found, 130 interrupted.",
    )
    .exitOverride()
    // Errors are printed by main(), on one line; help and version go to standard output.
    .configureOutput({ outputError: () => {} })
    .hook("preAction", async (program, command) => {
      setQuiet(program.opts().quiet === true);
      const opts = command.opts() as { json?: boolean; out?: string };
      if (opts.json && opts.out === STDOUT) {
        throw new UsageError(
          "Cannot use --json with --out -: both write to standard output; give --out a file",
        );
      }
      await resolveCommandPaths(command as unknown as Command);
    });

  const inspect = program
    .command("inspect")
    .description(
      "Inputs, outputs, op histogram, and every initializer with the state_dict key it maps to",
    )
    .argument("<model>", MODEL_HELP);
  addWeights(inspect, "PyTorch state_dict (.pth/.pt) or .safetensors to map onto the graph")
    .option("--json", JSON_HELP)
    .addHelpText(
      "after",
      example(
        "partials inspect data/models/effkan/model.onnx --weights data/models/effkan/model.pth",
      ),
    )
    .action(async (model, opts) => {
      const { runInspect } = await import("./commands/inspect.ts");
      await runInspect(model, opts);
    });

  const forward = addModelInputs(
    program.command("forward").description("Predictions in physical units"),
    "inputs CSV, physical units, header = input names",
  ).addOption(
    new Option("--engine <engine>", "forward engine").choices(["ort", "tf"] as const).default(
      "ort" as const,
    ),
  );
  addWeightsAndOut(forward, "output CSV: input columns, then one column per output")
    .addHelpText(
      "after",
      example(
        "partials forward --model data/models/mlp/model.onnx --inputs data/seed/olhs_input.csv",
        "--scaling data/seed/olhs_samples_max_min.csv --out predictions.csv",
      ),
    )
    .action(async (opts) => {
      const { runForward } = await import("./commands/forward.ts");
      await runForward(opts);
    });

  const jacobian = addModelInputs(
    program
      .command("jacobian")
      .description("Jacobians in physical units, columns d<out>_d<in> (output-major)"),
    "inputs CSV, physical units",
  )
    .addOption(
      new Option(
        "--method <method>",
        "graph (the derivative graph in onnxruntime; the default, autodiff when the graph has an op it cannot differentiate), autodiff (tfjs, float32) or fd (central differences, float64 onnxruntime)",
      ).choices(["graph", "autodiff", "fd"] as const),
    )
    .addOption(dtypeOption("float32"));
  addWeightsAndOut(jacobian, "output CSV (- for standard output)")
    .addHelpText(
      "after",
      example(
        "partials jacobian --model data/models/mlp/model.onnx --inputs data/seed/olhs_input.csv",
        "--scaling data/seed/olhs_samples_max_min.csv --method graph --out jacobians.csv",
      ),
    )
    .action(async (opts) => {
      const { runJacobian } = await import("./commands/jacobian.ts");
      await runJacobian(opts);
    });

  const hessian = addModelInputs(
    program
      .command("hessian")
      .description(
        "Hessians in physical units (the derivative graph applied twice), columns d2<out>_d<in>_d<in>",
      ),
    "inputs CSV, physical units",
  ).addOption(dtypeOption("float64"));
  addWeightsAndOut(hessian, "output CSV (- for standard output)")
    .addHelpText(
      "after",
      example(
        "partials hessian --model data/models/mlp/model.onnx --inputs data/seed/olhs_input.csv",
        "--scaling data/seed/olhs_samples_max_min.csv --out hessians.csv",
      ),
    )
    .action(async (opts) => {
      const { runHessian } = await import("./commands/hessian.ts");
      await runHessian(opts);
    });

  const exportJacobian = program
    .command("export-jacobian")
    .description(
      "The derivative graph as a standalone ONNX model: input x, outputs y and J (and H), physical units",
    )
    .requiredOption("--model <file>", MODEL_HELP)
    .option("--scaling <file>", SCALING_HELP)
    .addOption(dtypeOption("float32"))
    .option("--hessian", "also output the Hessians H [N, m, n, n]");
  addWeightsAndOut(exportJacobian, "output ONNX file")
    .addHelpText(
      "after",
      example(
        "partials export-jacobian --model data/models/mlp/model.onnx",
        "--scaling data/seed/olhs_samples_max_min.csv --hessian --out mlp_derivatives.onnx",
      ),
    )
    .action(async (opts) => {
      const { runExportJacobian } = await import("./commands/export_jacobian.ts");
      await runExportJacobian(opts);
    });

  const check = addModelInputs(
    program
      .command("check")
      .description("Model vs analytic reference vs finite differences: error table, CSVs, report"),
    "evaluation points CSV, physical units",
  )
    .requiredOption(
      "--reference <file>",
      "analytic reference: equations JSON or a TypeScript module",
    )
    .addOption(
      new Option(
        "--method <method>",
        "the model's Jacobian: graph (the derivative graph in onnxruntime, default; autodiff when the graph has an op it cannot differentiate) or autodiff (tfjs); both are checked against finite differences",
      ).choices(["graph", "autodiff"] as const),
    );
  const checkFiles = addWeights(check)
    .option(
      "--out <dir>",
      "folder for jacobian_results.csv, prediction.csv, metrics.json, report.html",
    )
    .option(
      "--jacobian <file>",
      "your own Jacobian CSV (input columns, df1_dx1 …, optionally df1_dx1_true …) to test against the model's",
    )
    .option("--data <file>", "your training data CSV (inputs and outputs, physical units)");
  addVerdictOptions(checkFiles, {
    fitTol:
      "verdict: largest Jacobian error / output row's largest |∂f/∂x| for the derivatives to fit (default 0.05)",
    failOn:
      "exit 3 when one of these causes is found: comma list of scaling-file, user-jacobian, architecture, underfit, derivative-fit, or any",
  })
    .option("--json", JSON_HELP)
    .addHelpText(
      "after",
      example(
        "partials check --model data/models/mlp/model.onnx --inputs data/seed/olhs_input.csv",
        "--scaling data/seed/olhs_samples_max_min.csv --reference data/seed/equations.json --out mlp_check",
      ),
    )
    .action(async (opts) => {
      const { runCheck } = await import("./commands/check.ts");
      setExitCode(await runCheck(opts));
    });

  const sample = program
    .command("sample")
    .description("Optimal (maximin) Latin hypercube samples within bounds")
    .requiredOption("--bounds <file>", "CSV with Variable,Min,Max")
    .requiredOption("--n <count>", "number of points")
    .option("--seed <number>", "random seed", "0");
  addOutFile(sample, "output CSV")
    .addHelpText(
      "after",
      example(
        "partials sample --bounds bounds.csv --n 200 --seed 1 --out points.csv",
        "# bounds.csv: Variable,Min,Max, one row per variable",
      ),
    )
    .action(async (opts) => {
      const { runSample } = await import("./commands/sample.ts");
      await runSample(opts);
    });

  const refit = program
    .command("refit")
    .description(
      "Gradient-enhanced (Sobolev) refit; writes DIR/model.onnx, DIR/model.safetensors, DIR/summary.json",
    )
    .requiredOption("--model <file>", MODEL_HELP)
    .requiredOption("--scaling <file>", "scaling file")
    .option("--reference <file>", "analytic reference giving value and Jacobian targets")
    .option(
      "--derivatives <file>",
      "measured data instead of a reference: CSV with inputs, outputs and d<out>_d<in> columns (physical units)",
    )
    .option(
      "--samples <file>",
      "training points CSV, physical units (with --reference; --derivatives holds its own points)",
    );
  addWeights(
    refit,
    "state_dict to start from (default: model.pth or model.safetensors beside the model, if any)",
  )
    .option(
      "--bounds <file>",
      "box for adaptive sampling, Variable,Min,Max (default: the box of --samples)",
    )
    .option("--no-adaptive", "no new training points where the error is largest (with --reference)")
    .option("--lambda <number>", "weight of the Jacobian term (0 = plain value training)", "1")
    .option(
      "--budget <duration>",
      "wall-clock budget: stops in time with the best weights (90s, 5m, 1h)",
      "3m",
    )
    .option("--epochs <number>", "maximum Adam epochs", "200")
    .option("--lbfgs <number>", "maximum L-BFGS iterations after Adam (0 = none)", "5000")
    .option("--batch <number>", "Adam minibatch size", "64")
    .option("--lr <number>", "Adam (peak) learning rate", "0.003")
    .option("--schedule <name>", "Adam learning-rate schedule: cosine or constant", "cosine")
    .option("--seed <number>", "random seed", "0")
    .option(
      "--holdout <fraction>",
      "share of samples held out to pick the best weights and report errors",
      "0.2",
    )
    .option(
      "--target <fraction>",
      "worst held-out Jacobian error per output, as a fraction of its row's largest |∂f/∂x|, the refit aims below",
      "0.01",
    )
    .requiredOption("--out <dir>", "output folder")
    .option("--json", JSON_HELP)
    .addHelpText(
      "after",
      example(
        "partials refit --model data/models/mlp/model.onnx --scaling data/seed/olhs_samples_max_min.csv",
        "--reference data/seed/equations.json --samples data/seed/olhs_samples.csv --out mlp_refit",
      ),
    )
    .action(async (opts) => {
      const { runRefit } = await import("./commands/refit.ts");
      await runRefit(opts);
    });

  return program as unknown as Command;
}

/** Commands whose `--out` is a CSV result, which `--out -` sends to standard output. */
const CSV_RESULTS: ReadonlySet<string> = new Set(["forward", "jacobian", "hessian", "sample"]);

/**
 * Resolves and checks every path of the command about to run, before it reads
 * anything: options whose value is `<file>` (and the `<model>` argument) are
 * inputs, `--out <file>` / `--out <dir>` is the output (see `_paths.ts`). The
 * resolved paths replace the typed ones.
 */
async function resolveCommandPaths(command: Command): Promise<void> {
  const inputs: [string, string | undefined][] = [];
  const setters = new Map<string, (path: string) => void>();
  command.registeredArguments.forEach((argument, i) => {
    if (argument.name() !== "model") return;
    inputs.push(["<model>", command.processedArgs[i] as string | undefined]);
    setters.set("<model>", (path) => (command.processedArgs as unknown[])[i] = path);
  });
  const values = command.opts() as Record<string, unknown>;
  let out: { path: string | undefined; kind: OutKind } | undefined;
  for (const option of command.options) {
    const key = option.attributeName();
    const value = values[key];
    if (option.long === "--out") {
      out = {
        path: typeof value === "string" ? value : undefined,
        kind: option.flags.includes("<dir>")
          ? "dir"
          : CSV_RESULTS.has(command.name())
          ? "csv"
          : "file",
      };
      setters.set("--out", (path) => command.setOptionValue(key, path));
    } else if (option.flags.includes("<file>") && option.long !== undefined) {
      inputs.push([option.long, typeof value === "string" ? value : undefined]);
      setters.set(option.long, (path) => command.setOptionValue(key, path));
    }
  }
  const plan = await planPaths(inputs, out, {
    // The weights an ONNX file was exported with (found beside it) are inputs too.
    protect: (resolved) => {
      const model = resolved.get("--model") ?? resolved.get("<model>");
      if (model === undefined) return Promise.resolve([]);
      return Promise.resolve(
        ["model.pth", "model.safetensors"].map((f) => join(dirname(model), f)),
      );
    },
  });
  for (const [option, path] of plan.inputs) setters.get(option)?.(path);
  if (plan.out !== undefined) setters.get("--out")?.(plan.out);
}

/** Longest error line printed (library messages quote at most ~100 characters of a file). */
const MAX_ERROR_LINE = 600;

/**
 * An error as one printable line: its first line, control characters escaped
 * (a hostile file cannot paint the terminal), cut to {@linkcode MAX_ERROR_LINE}.
 */
export function errorLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = escapeControl(message.split("\n")[0]!.trim());
  return line.length > MAX_ERROR_LINE ? `${line.slice(0, MAX_ERROR_LINE)}…` : line;
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  enterUserDirectory();
  let exitCode = 0;
  const program = buildProgram((code) => exitCode = code);
  const debug = args.includes("--debug");
  if (args.every((a) => GLOBAL_FLAGS.includes(a))) {
    // Bare `partials`: the help, on standard output, and the usage exit code.
    console.log(program.helpInformation().trimEnd());
    return 2;
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version were printed on standard output.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
      console.error(usageErrorLine(program, args, error));
      return 2;
    }
    if (error instanceof InterruptedError) {
      console.error(`interrupted: ${errorLine(error)}`);
      return 130;
    }
    console.error(`error: ${errorLine(error)}`);
    if (debug && error instanceof Error && error.stack) console.error(error.stack);
    return error instanceof UsageError ? 2 : 1;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  Deno.exit(code);
}
