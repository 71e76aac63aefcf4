/**
 * `partials refit`: gradient-enhanced (Sobolev) refit; writes `DIR/model.onnx`,
 * `DIR/model.safetensors` and `DIR/summary.json`, and prints a before/after
 * table. Progress goes to stderr, one line per epoch (a bar on a terminal);
 * SIGINT or SIGTERM stops training, writes the best weights so far (summary
 * marked `interrupted`) and exits 130.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { readNumericCsv } from "../../io/table.ts";
import { loadReference } from "../../reference/load.ts";
import type { AnalyticReference } from "../../reference/types.ts";
import type { AdaptiveSampling } from "../../refit/adaptive.ts";
import { readDerivativesCsv, type RefitData, refitDataFromReference } from "../../refit/data.ts";
import { type EpochInfo, refit, type RefitResult } from "../../refit/refit.ts";
import { explainRefit, stillImproving, type TargetOutcome } from "../../refit/explain.ts";
import { formatRefitTable } from "../../refit/table.ts";
import { writeRefitResultReport } from "../../report/refit_report.ts";
import { writeRefit } from "../../refit/write_back.ts";
import { type Bounds, makeBounds, readBounds } from "../../sampling/bounds.ts";
import { loadSurrogate, selectInputColumns } from "../../surrogate/surrogate.ts";
import { noteBatch } from "../_notes.ts";
import { InterruptedError, UsageError } from "../_errors.ts";
import { parseDurationOption, parseIntegerOption, parseNumberOption } from "../_parse.ts";
import { printWarnings, weightsOptions } from "../_weights.ts";
import { printJson } from "../_result.ts";

/** Options of the `refit` command, as parsed. */
export interface RefitCommandOptions {
  model: string;
  scaling: string;
  reference?: string;
  derivatives?: string;
  samples?: string;
  weights?: string;
  exportedWeights?: string;
  bounds?: string;
  adaptive: boolean;
  lambda: string;
  budget: string;
  epochs: string;
  lbfgs: string;
  batch: string;
  lr: string;
  schedule: string;
  seed: string;
  holdout: string;
  target: string;
  out: string;
  json?: true;
}

/** Loads the model and targets, refits, writes the files and prints the before/after table. */
export async function runRefit(options: RefitCommandOptions): Promise<void> {
  const lambda = parseNumberOption("--lambda", options.lambda, 0);
  const budgetMs = parseDurationOption("--budget", options.budget);
  const epochs = parseIntegerOption("--epochs", options.epochs, 0);
  const lbfgsIterations = parseIntegerOption("--lbfgs", options.lbfgs, 0);
  const batchSize = parseIntegerOption("--batch", options.batch, 1);
  const learningRate = parseNumberOption("--lr", options.lr, Number.MIN_VALUE);
  const seed = parseIntegerOption("--seed", options.seed, 0, 2 ** 32 - 1);
  const holdout = parseNumberOption("--holdout", options.holdout, 0, 1);
  const target = parseNumberOption("--target", options.target, Number.MIN_VALUE);
  if (holdout <= 0 || holdout >= 1) {
    throw new UsageError(`Invalid --holdout: "${options.holdout}" is not in (0, 1)`);
  }
  if (options.schedule !== "cosine" && options.schedule !== "constant") {
    throw new UsageError(`Invalid --schedule: "${options.schedule}" is not cosine or constant`);
  }
  if (epochs + lbfgsIterations === 0) {
    throw new UsageError("Invalid --epochs and --lbfgs: both are 0, nothing would be trained");
  }
  if (options.reference === undefined && options.derivatives === undefined) {
    throw new UsageError("Missing targets: give --reference (with --samples) or --derivatives");
  }
  if (options.reference !== undefined && options.derivatives !== undefined) {
    throw new UsageError("Conflicting options: give --reference or --derivatives, not both");
  }
  if (options.reference !== undefined && options.samples === undefined) {
    throw new UsageError("Missing --samples: the reference is evaluated at the training points");
  }
  if (options.derivatives !== undefined && options.samples !== undefined) {
    throw new UsageError(
      "Conflicting options: --derivatives holds the training points; drop --samples",
    );
  }
  if (options.bounds !== undefined && options.reference === undefined) {
    throw new UsageError(
      "Conflicting options: --bounds is the box of adaptive sampling, which needs --reference",
    );
  }
  const surrogate = await loadSurrogate(options.model, {
    scaling: options.scaling,
    ...weightsOptions(options),
  });
  noteBatch(surrogate);
  try {
    printWarnings(surrogate.warnings);
    let data: RefitData;
    let adaptive: AdaptiveSampling | undefined;
    let reference: AnalyticReference | undefined;
    if (options.reference !== undefined) {
      reference = await loadReference(options.reference);
      const table = await readNumericCsv(options.samples!);
      const x = selectInputColumns(table, surrogate.inputs, options.samples!);
      data = refitDataFromReference(reference, x, { source: options.samples! });
      if (data.outputs.join() !== surrogate.outputs.join()) {
        throw new TypeError(
          `Cannot refit with ${options.reference}: it defines ${
            data.outputs.join(", ")
          }, the scaling file names the outputs ${surrogate.outputs.join(", ")}`,
        );
      }
      if (options.adaptive) {
        const bounds = options.bounds !== undefined
          ? await boundsFor(options.bounds, surrogate.inputs)
          : boxOf(data, options.samples!);
        adaptive = { reference, bounds };
      }
    } else {
      data = await readDerivativesCsv(options.derivatives!, {
        inputs: surrogate.inputs,
        outputs: surrogate.outputs,
        valuesAt: (x) => surrogate.predict(x),
      });
      if (data.valuesFromModel) {
        console.error(
          `note: ${options.derivatives} has no output columns: the value targets are the starting model's predictions (kept while the derivatives are fitted), and R² is measured against them`,
        );
      }
    }
    const controller = new AbortController();
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals === 1) {
        progress.interrupt();
        controller.abort();
      } else {
        // A second signal: leave at once. Finished files are whole (written atomically).
        Deno.exit(130);
      }
    };
    const progress = makeProgress(surrogate.outputs);
    const listening = (["SIGINT", "SIGTERM"] as const).filter((s) => listen(s, onSignal));
    let result: RefitResult;
    try {
      result = await refit(surrogate, data, {
        lambda,
        epochs,
        lbfgsIterations,
        batchSize,
        learningRate,
        schedule: options.schedule,
        seed,
        holdout,
        budgetMs,
        target,
        signal: controller.signal,
        ...(adaptive ? { adaptive } : {}),
        onEpoch: progress.update,
      });
    } finally {
      progress.done();
    }
    const protect = [
      options.model,
      options.scaling,
      ...[
        options.reference,
        options.derivatives,
        options.samples,
        options.weights,
        options.exportedWeights,
        options.bounds,
      ].filter((p): p is string => p !== undefined),
    ];
    const interrupted = result.stopReason === "interrupted";
    const outcome = await explainRefit(surrogate, result, {
      target,
      ...(reference ? { reference } : {}),
    });
    try {
      const written = await writeRefit(result, options.out, {
        protect,
        extra: {
          model: options.model,
          scaling: options.scaling,
          targets: options.reference ?? options.derivatives,
          samples: data.source,
          valuesFromModel: data.valuesFromModel ?? false,
          startWeights: surrogate.weights?.path ?? null,
          exportedWeights: surrogate.weights?.exportedPath ?? null,
          target: outcome,
        },
      });
      // The report evaluates both models again: skipped when interrupted, to stop promptly.
      const report = interrupted
        ? undefined
        : await writeRefitResultReport(options.out, result, surrogate, {
          model: options.model,
          fitTolerance: target,
        });
      if (options.json) {
        const files = [
          written.onnx,
          written.safetensors,
          written.summary,
          ...(report ? [report] : []),
        ];
        printJson({ ...written.summaryJson, files });
      } else {
        console.log(formatRefitTable(result.before, result.after));
        console.log(`\n${describeRun(result)}`);
        console.log(describeOutcome(outcome));
        const hint = closingHint(result);
        if (hint) console.log(hint);
      }
      if (interrupted) {
        throw new InterruptedError(
          `wrote the best weights so far (epoch ${result.bestEpoch}) to ${written.onnx}, ${written.safetensors}, ${written.summary}`,
        );
      }
      if (!options.json) {
        console.error(
          `wrote ${written.onnx}, ${written.safetensors}, ${written.summary}${
            report ? `, ${report}` : ""
          }`,
        );
      }
    } finally {
      for (const s of listening) Deno.removeSignalListener(s, onSignal);
    }
  } finally {
    await surrogate.dispose();
  }
}

/** Adds a signal listener; false where the platform has no such signal. */
function listen(signal: "SIGINT" | "SIGTERM", handler: () => void): boolean {
  try {
    Deno.addSignalListener(signal, handler);
    return true;
  } catch {
    return false;
  }
}

async function boundsFor(path: string, inputs: readonly string[]): Promise<Bounds> {
  const bounds = await readBounds(path);
  const min: number[] = [], max: number[] = [];
  for (const name of inputs) {
    const j = bounds.names.indexOf(name);
    if (j < 0) throw new TypeError(`Cannot read ${path}: no row for the model input "${name}"`);
    min.push(bounds.min[j]!);
    max.push(bounds.max[j]!);
  }
  return makeBounds(inputs, { min, max });
}

/** The box of the training points, per input. */
function boxOf(data: RefitData, source: string): Bounds {
  const n = data.inputs.length;
  const min = new Array<number>(n).fill(Infinity), max = new Array<number>(n).fill(-Infinity);
  for (let k = 0; k < data.points; k++) {
    for (let j = 0; j < n; j++) {
      min[j] = Math.min(min[j]!, data.x[k * n + j]!);
      max[j] = Math.max(max[j]!, data.x[k * n + j]!);
    }
  }
  const flat = data.inputs.find((_, j) => !(min[j]! < max[j]!));
  if (flat !== undefined) {
    throw new RangeError(
      `Cannot sample adaptively in the box of ${source}: input "${flat}" takes one value; give --bounds or --no-adaptive`,
    );
  }
  return makeBounds(data.inputs, { min, max });
}

/** One sentence on what ran and why it stopped. */
export function describeRun(result: RefitResult): string {
  const why: Record<RefitResult["stopReason"], string> = {
    steps: "every allowed step ran",
    converged: "L-BFGS could not lower the loss further (float32 round-off)",
    patience: "the held-out loss stopped improving",
    budget: "the time budget ran out",
    interrupted: "interrupted",
    diverged: "the loss became non-finite",
  };
  const t = result.timings;
  const added = result.split.added > 0
    ? ` (${result.split.added} added where the error was largest)`
    : "";
  return `${result.adamEpochs} Adam epochs + ${result.lbfgs.iterations} L-BFGS iterations (best checkpoint ${result.bestEpoch} of ${result.epochsRun}; stopped: ${
    why[result.stopReason]
  }), λ = ${result.options.lambda}, ${result.split.train} training${added} and ${result.split.holdout} held-out points, ${
    seconds(t.totalMs)
  } (CPU ${seconds(t.cpuUserMs)}) on tfjs ${result.backend}`;
}

/** Whether the target was reached and, if not, why (one sentence per reason found). */
export function describeOutcome(outcome: TargetOutcome): string {
  const pct = `${100 * outcome.target}%`;
  if (outcome.reached) {
    return `Target reached: every output's worst held-out Jacobian error is below ${pct} of its row's largest |∂f/∂x|, and no value R² is lower than before.`;
  }
  const missed: string[] = [];
  if (!outcome.outputsReached.every((v) => v)) {
    missed.push(`the worst held-out Jacobian error of some outputs is ${pct} or more`);
  }
  if (!outcome.r2NotLower) missed.push("a value R² is lower than before");
  return [`Target not reached: ${missed.join(", and ")}.`, ...outcome.reasons].join(" ");
}

/** A hint when a run was cut short while its held-out errors were still falling. */
export function closingHint(result: RefitResult): string | undefined {
  const last = result.history.length;
  if (last === 0) return undefined;
  if (result.stopReason === "converged" || result.stopReason === "diverged") return undefined;
  const improving = result.stopReason === "budget"
    ? stillImproving(result, result.options.target)
    : result.bestEpoch === last;
  if (!improving) return undefined;
  return "hint: the held-out errors were still falling when training stopped; a longer --budget (or more --epochs / --lbfgs) may lower them further";
}

function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** `m:ss` or `h:mm:ss`. */
function clock(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const pad = (v: number) => String(v).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(r)}` : `${m}:${pad(r)}`;
}

/**
 * The progress line of one epoch or L-BFGS checkpoint: phase and step, the
 * training loss, the held-out loss parts, the held-out worst row-normalized
 * Jacobian error per output (their maximum beyond four outputs), the worst R²,
 * the best checkpoint, elapsed time and ETA.
 */
export function formatEpochLine(info: EpochInfo, outputs: readonly string[]): string {
  const e = (v: number) => v.toExponential(2);
  const pct = (v: number) =>
    (100 * v >= 10 ? (100 * v).toFixed(0) : (100 * v).toPrecision(2)) + "%";
  const errors = info.holdoutJacobianError;
  let jac = "";
  if (errors.length > 0) {
    if (errors.length <= 4) {
      jac = `  J err ${errors.map((v, i) => `${outputs[i]} ${pct(v)}`).join(" ")}`;
    } else {
      const worst = errors.reduce((a, v, i) => (v > errors[a]! ? i : a), 0);
      jac = `  J err max ${pct(errors[worst]!)} (${outputs[worst]})`;
    }
  }
  const r2 = Math.min(...info.holdoutR2);
  return `${info.phase === "adam" ? "adam " : "lbfgs"} ${info.step}/${info.steps}  train ${
    e(info.trainLoss)
  }  held-out ${e(info.holdoutLoss)} = ${e(info.holdoutValueLoss)} + λ·${
    e(info.holdoutJacobianLoss)
  }${jac}  R² ≥ ${r2.toFixed(5)}  best ${info.bestEpoch}  ${clock(info.elapsedMs)} ETA ${
    clock(info.etaMs)
  }`;
}

function makeProgress(outputs: readonly string[]): {
  update: (info: EpochInfo) => void;
  interrupt: () => void;
  done: () => void;
} {
  const terminal = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const width = 20;
  let drawn = false;
  const write = (text: string) => Deno.stderr.writeSync(encoder.encode(text));
  return {
    update(info) {
      const text = formatEpochLine(info, outputs);
      if (terminal) {
        const total = info.elapsedMs + info.etaMs;
        const filled = total > 0 ? Math.round((width * info.elapsedMs) / total) : width;
        const bar = "#".repeat(filled) + "-".repeat(width - filled);
        write(`\r[${bar}] ${text}\x1b[K`);
        drawn = true;
      } else {
        console.error(text);
      }
    },
    interrupt() {
      if (drawn) write("\n");
      drawn = false;
      console.error(
        "stopping: saving the best weights so far (press Ctrl-C again to quit at once)",
      );
    },
    done() {
      if (drawn) write("\n");
      drawn = false;
    },
  };
}
