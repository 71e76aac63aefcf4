/**
 * Writing a refit back for PyTorch: `model.safetensors` (the original
 * state_dict keys, shapes, layout and dtypes), `model.onnx` (the same graph
 * with the new initializers) and `summary.json`.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { writeFilesAtomic } from "../io/atomic.ts";
import { encodeOnnxModel } from "../onnx/model.ts";
import { writeSafetensors } from "../weights/safetensors.ts";
import type { RefitResult } from "./refit.ts";

/** Options of {@linkcode writeRefit}. */
export interface WriteRefitOptions {
  /**
   * Files that must not be overwritten (the refit's inputs); the ONNX file the
   * refit started from is always protected.
   * @default {[]}
   */
  protect?: readonly string[];
  /**
   * Extra fields merged into `summary.json` (e.g. the command's file names).
   * @default {{}}
   */
  extra?: Record<string, unknown>;
}

/** The files written by {@linkcode writeRefit}. */
export interface WrittenRefit {
  /** `DIR/model.onnx`. */
  readonly onnx: string;
  /** `DIR/model.safetensors`. */
  readonly safetensors: string;
  /** `DIR/summary.json`. */
  readonly summary: string;
  /** The summary as written. */
  readonly summaryJson: Record<string, unknown>;
}

/**
 * Writes `model.onnx`, `model.safetensors` and `summary.json` into `dir`
 * (created if needed), each atomically.
 *
 * `model.safetensors` holds every key of the starting state_dict in its order,
 * with its shape and dtype, so `model.load_state_dict(load_file(path))` works
 * unchanged (`strict=True`); non-trainable keys keep their values, tied keys take
 * their owner's. Its metadata says `format: pt`. `summary.json` ({@linkcode RefitSummary}) holds
 * `status` (`complete`, or `interrupted` when a signal stopped training), the
 * before/after metrics on the held-out points (value R² and range-normalized
 * error per output, row- and range-normalized Jacobian errors per entry, worst
 * row-normalized per output), λ and the other options, epochs run, best epoch,
 * the seed, timings, sizes, the tfjs backend, how the loss took Jacobians and the training plan (what was
 * trained, fixed and tied, and the folded initializers recomputed from the
 * parts, e.g. efficient-KAN's `spline_weight · spline_scaler`).
 *
 * @param result The refit.
 * @param dir Output folder.
 * @param options Protected paths, extra summary fields.
 * @throws {RangeError} If an output file would overwrite a protected input.
 */
export async function writeRefit(
  result: RefitResult,
  dir: string,
  options: WriteRefitOptions = {},
): Promise<WrittenRefit> {
  const paths = {
    onnx: join(dir, "model.onnx"),
    safetensors: join(dir, "model.safetensors"),
    summary: join(dir, "summary.json"),
  };
  const protect = new Set(
    [...(options.protect ?? []), result.onnx.source].map((p) => resolve(p)),
  );
  for (const path of Object.values(paths)) {
    if (protect.has(resolve(path))) {
      throw new RangeError(
        `Cannot write ${path}: it is an input of the refit; choose another --out folder`,
      );
    }
  }
  const onnxBytes = encodeOnnxModel(result.onnx);
  const weightBytes = writeSafetensors(result.stateDict, {
    metadata: { format: "pt", producer: "partials refit", naming: result.plan.naming },
  });
  const summaryJson = refitSummary(result, {
    onnxBytes: onnxBytes.byteLength,
    safetensorsBytes: weightBytes.byteLength,
    extra: options.extra ?? {},
  });
  // All three or none: a failure leaves no partial refit in `dir`.
  await writeFilesAtomic([
    [paths.onnx, onnxBytes],
    [paths.safetensors, weightBytes],
    [paths.summary, JSON.stringify(summaryJson, null, 2) + "\n"],
  ]);
  return { ...paths, summaryJson };
}

/** One entry of `summary.json`'s `history`: an Adam epoch or an L-BFGS checkpoint. */
export interface RefitHistoryEntry {
  /** 1-based, over both phases. */
  readonly epoch: number;
  readonly phase: "adam" | "lbfgs";
  /** Adam epoch, or L-BFGS iterations done. */
  readonly step: number;
  /** Training loss (normalized units). */
  readonly trainLoss: number;
  /** Held-out loss and its terms (normalized units): `holdoutLoss = value + λ · jacobian`. */
  readonly holdoutLoss: number;
  readonly holdoutValueLoss: number;
  readonly holdoutJacobianLoss: number;
  /** Held-out worst row-normalized Jacobian error per output (`summary.outputs` order). */
  readonly holdoutJacobianError: readonly number[];
  /** Held-out value R² per output. */
  readonly holdoutR2: readonly number[];
  /** Adam learning rate or L-BFGS step length. */
  readonly learningRate: number;
  readonly trainPoints: number;
  /** Milliseconds since training started. */
  readonly elapsedMs: number;
}

/**
 * `summary.json` as written by {@linkcode writeRefit} (format `partials-refit/2`;
 * extra fields from {@linkcode WriteRefitOptions.extra} are merged at the top).
 * Non-finite numbers are written as `null`.
 */
export interface RefitSummary {
  readonly format: "partials-refit/2";
  /** `"interrupted"` when SIGINT/SIGTERM stopped training: the files hold the best weights so far. */
  readonly status: "complete" | "interrupted";
  readonly stopReason: RefitResult["stopReason"];
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly lambda: number;
  readonly options: RefitResult["options"];
  readonly seed: number;
  readonly epochsRun: number;
  readonly adamEpochs: number;
  readonly lbfgs: RefitResult["lbfgs"];
  readonly bestEpoch: number;
  readonly split: RefitResult["split"];
  readonly adaptiveRounds: RefitResult["adaptiveRounds"];
  readonly backend: string;
  readonly jacobianMode: RefitResult["jacobianMode"];
  readonly timings: RefitResult["timings"];
  readonly sizes: Readonly<Record<string, number>>;
  readonly weights: Readonly<Record<string, unknown>>;
  /** Before/after metrics on the held-out points. */
  readonly metrics: {
    readonly before: RefitResult["before"];
    readonly after: RefitResult["after"];
  };
  readonly history: readonly RefitHistoryEntry[];
}

function refitSummary(
  result: RefitResult,
  sizes: { onnxBytes: number; safetensorsBytes: number; extra: Record<string, unknown> },
): Record<string, unknown> {
  const { plan } = result;
  const fused = plan.map.initializers
    .filter((i) => i.source.kind === "fused" && plan.initializers.includes(i.name))
    .map((i) => ({
      initializer: i.name,
      parts: i.source.kind === "fused" ? [...i.source.parts] : [],
    }));
  const history: RefitHistoryEntry[] = result.history.map((h) => ({
    epoch: h.epoch,
    phase: h.phase,
    step: h.step,
    trainLoss: h.trainLoss,
    holdoutLoss: h.holdoutLoss,
    holdoutValueLoss: h.holdoutValueLoss,
    holdoutJacobianLoss: h.holdoutJacobianLoss,
    holdoutJacobianError: h.holdoutJacobianError,
    holdoutR2: h.holdoutR2,
    learningRate: h.learningRate,
    trainPoints: h.trainPoints,
    elapsedMs: h.elapsedMs,
  }));
  const summary: RefitSummary = {
    format: "partials-refit/2",
    status: result.stopReason === "interrupted" ? "interrupted" : "complete",
    stopReason: result.stopReason,
    inputs: result.inputs,
    outputs: result.outputs,
    lambda: result.options.lambda,
    options: result.options,
    seed: result.options.seed,
    epochsRun: result.epochsRun,
    adamEpochs: result.adamEpochs,
    lbfgs: result.lbfgs,
    bestEpoch: result.bestEpoch,
    split: result.split,
    adaptiveRounds: result.adaptiveRounds,
    backend: result.backend,
    jacobianMode: result.jacobianMode,
    timings: result.timings,
    sizes: {
      onnxBytes: sizes.onnxBytes,
      safetensorsBytes: sizes.safetensorsBytes,
      trainableElements: result.trainableElements,
      stateDictKeys: plan.dict.size,
    },
    weights: {
      naming: plan.naming,
      trainable: plan.trainable,
      fixed: plan.fixed,
      tied: plan.tied,
      recomputedInitializers: plan.initializers,
      fused,
      note: fused.length > 0
        ? "Folded initializers that fuse several state_dict tensors were recomputed from the parts, each part trained as its own variable, so the safetensors holds the parts under their PyTorch names"
        : "Every trainable state_dict tensor is one variable; graph copies of it are recomputed from it",
    },
    metrics: { before: result.before, after: result.after },
    history,
  };
  const { format, status, ...rest } = summary;
  return JSON.parse(
    JSON.stringify(
      { format, status, ...sizes.extra, ...rest },
      (_key, value) => typeof value === "number" && !Number.isFinite(value) ? null : value,
    ),
  );
}
