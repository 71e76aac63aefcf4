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
 * their owner's. Its metadata says `format: pt`. `summary.json` holds the
 * before/after metrics on the held-out points (value R² and range-normalized
 * error per output, row- and range-normalized Jacobian errors per entry, worst
 * row-normalized per output), λ and the other options, epochs run, best epoch,
 * the seed, timings, sizes, the tfjs backend and the training plan (what was
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
  return JSON.parse(JSON.stringify({
    format: "partials-refit/1",
    ...sizes.extra,
    lambda: result.options.lambda,
    options: result.options,
    seed: result.options.seed,
    epochsRun: result.epochsRun,
    bestEpoch: result.bestEpoch,
    split: result.split,
    backend: result.backend,
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
    history: result.history.map((h) => ({
      epoch: h.epoch,
      trainLoss: h.trainLoss,
      holdoutLoss: h.holdoutLoss,
      holdoutValueLoss: h.holdoutValueLoss,
      holdoutJacobianLoss: h.holdoutJacobianLoss,
    })),
  }, (_key, value) => typeof value === "number" && !Number.isFinite(value) ? null : value));
}
