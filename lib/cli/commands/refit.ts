/**
 * `partials refit`: gradient-enhanced (Sobolev) refit; writes `DIR/model.onnx`,
 * `DIR/model.safetensors` and `DIR/summary.json`, and prints a before/after table.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { readNumericCsv } from "../../io/table.ts";
import { loadReference } from "../../reference/load.ts";
import { readDerivativesCsv, refitDataFromReference } from "../../refit/data.ts";
import { type EpochInfo, refit } from "../../refit/refit.ts";
import { formatRefitTable } from "../../refit/table.ts";
import { writeRefit } from "../../refit/write_back.ts";
import { loadSurrogate, selectInputColumns } from "../../surrogate/surrogate.ts";
import { noteBatch } from "../_notes.ts";
import { UsageError } from "../_errors.ts";
import { parseIntegerOption, parseNumberOption } from "../_parse.ts";
import { printWarnings, weightsOptions } from "../_weights.ts";

/** Options of the `refit` command, as parsed. */
export interface RefitCommandOptions {
  model: string;
  scaling: string;
  reference?: string;
  derivatives?: string;
  samples?: string;
  weights?: string;
  exportedWeights?: string;
  lambda: string;
  epochs: string;
  batch: string;
  lr: string;
  seed: string;
  holdout: string;
  out: string;
}

/** Loads the model and targets, refits, writes the files and prints the before/after table. */
export async function runRefit(options: RefitCommandOptions): Promise<void> {
  const lambda = parseNumberOption("--lambda", options.lambda, 0);
  const epochs = parseIntegerOption("--epochs", options.epochs, 1);
  const batchSize = parseIntegerOption("--batch", options.batch, 1);
  const learningRate = parseNumberOption("--lr", options.lr, Number.MIN_VALUE);
  const seed = parseIntegerOption("--seed", options.seed, 0, 2 ** 32 - 1);
  const holdout = parseNumberOption("--holdout", options.holdout, 0, 1);
  if (holdout <= 0 || holdout >= 1) {
    throw new UsageError(`Invalid --holdout: "${options.holdout}" is not in (0, 1)`);
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
  const surrogate = await loadSurrogate(options.model, {
    scaling: options.scaling,
    ...weightsOptions(options),
  });
  noteBatch(surrogate);
  try {
    printWarnings(surrogate.warnings);
    let data;
    if (options.reference !== undefined) {
      const reference = await loadReference(options.reference);
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
    } else {
      data = await readDerivativesCsv(options.derivatives!, {
        inputs: surrogate.inputs,
        outputs: surrogate.outputs,
      });
    }
    const progress = makeProgress(epochs);
    const result = await refit(surrogate, data, {
      lambda,
      epochs,
      batchSize,
      learningRate,
      seed,
      holdout,
      onEpoch: progress.update,
    });
    progress.done();
    const protect = [
      options.model,
      options.scaling,
      ...[
        options.reference,
        options.derivatives,
        options.samples,
        options.weights,
        options.exportedWeights,
      ].filter(
        (p): p is string => p !== undefined,
      ),
    ];
    const written = await writeRefit(result, options.out, {
      protect,
      extra: {
        model: options.model,
        scaling: options.scaling,
        targets: options.reference ?? options.derivatives,
        samples: data.source,
        startWeights: surrogate.weights?.path ?? null,
        exportedWeights: surrogate.weights?.exportedPath ?? null,
      },
    });
    console.log(formatRefitTable(result.before, result.after));
    console.log(
      `\n${result.epochsRun} epochs (best ${result.bestEpoch}), λ = ${lambda}, ${result.split.train} training and ${result.split.holdout} held-out points, ${
        (result.timings.totalMs / 1000).toFixed(1)
      } s on tfjs ${result.backend}`,
    );
    console.error(`wrote ${written.onnx}, ${written.safetensors}, ${written.summary}`);
  } finally {
    await surrogate.dispose();
  }
}

function makeProgress(epochs: number): { update: (info: EpochInfo) => void; done: () => void } {
  const terminal = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const width = 30;
  let drawn = false;
  return {
    update(info) {
      const text = `epoch ${info.epoch}/${epochs}  train ${info.trainLoss.toExponential(3)}  ` +
        `held-out ${info.holdoutLoss.toExponential(3)} (best epoch ${info.bestEpoch})  ${
          (info.elapsedMs / 1000).toFixed(1)
        } s`;
      if (terminal) {
        const filled = Math.round((width * info.epoch) / epochs);
        const bar = "#".repeat(filled) + "-".repeat(width - filled);
        Deno.stderr.writeSync(encoder.encode(`\r[${bar}] ${text}\x1b[K`));
        drawn = true;
      } else {
        console.error(text);
      }
    },
    done() {
      if (drawn) Deno.stderr.writeSync(encoder.encode("\n"));
    },
  };
}
