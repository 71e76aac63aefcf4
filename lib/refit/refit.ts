/**
 * Gradient-enhanced (Sobolev) refit of a surrogate in TensorFlow.js: Adam on
 * minibatches, then L-BFGS on the whole training set, on the PyTorch
 * state_dict tensors (the folded ONNX initializers recomputed from them at
 * every step); optionally new training points where the held-out error is
 * largest; a seeded held-out split that picks the best weights; a wall-clock
 * budget and an abort signal that both stop with the best weights; the result
 * as a new state_dict (original keys, shapes, dtypes) and ONNX model.
 *
 * @module
 */
import process from "node:process";
import { type OnnxModel, replaceInitializers } from "../onnx/model.ts";
import { mulberry32 } from "../sampling/prng.ts";
import { normalize } from "../scaling/scaler.ts";
import { findExportedWeights, makeSurrogate, type Surrogate } from "../surrogate/surrogate.ts";
import { initTf, tf } from "../tf/backend.ts";
import { applyStateDict } from "../weights/apply.ts";
import { loadStateDict } from "../weights/load.ts";
import { mapStateDict } from "../weights/map.ts";
import type { StateDict, StateTensor } from "../weights/state_dict.ts";
import { type AdaptiveRound, type AdaptiveSampling, refineTrainingSet } from "./adaptive.ts";
import { concatData, type RefitData, selectRows } from "./data.ts";
import { Lbfgs } from "./lbfgs.ts";
import {
  evaluateSurrogate,
  type HeldOutScore,
  type RefitMetrics,
  scoreHeldOut,
} from "./metrics.ts";
import {
  compileJacobianGraph,
  disposeSet,
  gatherSet,
  type LossParts,
  type NormalizedSet,
  RefitObjective,
  sliceSet,
  type TensorSet,
  toTensorSet,
} from "./objective.ts";
import { DEFAULT_REFIT_TARGET } from "./explain.ts";
import { planFromInitializers, planFromStateDict, type TrainingPlan } from "./parameters.ts";

/** The two training phases. */
export type RefitPhase = "adam" | "lbfgs";

/** Progress after one Adam epoch or L-BFGS checkpoint, passed to {@linkcode RefitOptions.onEpoch}. */
export interface EpochInfo {
  /** 1-based count of epochs and checkpoints over both phases. */
  readonly epoch: number;
  /** The phase that produced it. */
  readonly phase: RefitPhase;
  /** Adam: the epoch; L-BFGS: iterations done so far. */
  readonly step: number;
  /** Adam: the maximum number of epochs; L-BFGS: the maximum number of iterations. */
  readonly steps: number;
  /** @deprecated Same as `steps` for Adam, kept for callers of the first version. */
  readonly epochs: number;
  /** Training loss (normalized units): Adam, mean over the epoch's minibatches; L-BFGS, at the current point. */
  readonly trainLoss: number;
  /** Held-out loss `value + λ · jacobian` after the step. */
  readonly holdoutLoss: number;
  /** Held-out value term. */
  readonly holdoutValueLoss: number;
  /** Held-out Jacobian term (before λ). */
  readonly holdoutJacobianLoss: number;
  /**
   * Held-out worst row-normalized Jacobian error per output, physical units
   * (`max |J − J_ref| / max |J_ref|` over points and inputs); empty without Jacobian targets.
   */
  readonly holdoutJacobianError: readonly number[];
  /** Held-out value R² per output. */
  readonly holdoutR2: readonly number[];
  /** Adam: the learning rate of the epoch's last step; L-BFGS: the last step length. */
  readonly learningRate: number;
  /** Training points (grows with adaptive sampling). */
  readonly trainPoints: number;
  /** The epoch whose weights are the best so far (0 = the starting weights). */
  readonly bestEpoch: number;
  /** Milliseconds since training started. */
  readonly elapsedMs: number;
  /** Estimated milliseconds until training stops (by the budget or the step limits). */
  readonly etaMs: number;
}

/** Learning-rate schedule of the Adam phase. */
export type LearningRateSchedule = "constant" | "cosine";

/** Options of {@linkcode refit}. */
export interface RefitOptions {
  /** Weight λ of the Jacobian term; 0 is plain value training. @default {1} */
  lambda?: number;
  /** Maximum number of Adam epochs. @default {200} */
  epochs?: number;
  /** Minibatch size. @default {64} */
  batchSize?: number;
  /** Adam (peak) learning rate. @default {0.003} */
  learningRate?: number;
  /**
   * Adam learning-rate schedule: `"cosine"` decays from `learningRate` to
   * 1 % of it over the Adam phase (its epochs, or its share of the budget).
   * @default {"cosine"}
   */
  schedule?: LearningRateSchedule;
  /** Maximum number of L-BFGS iterations after Adam on the whole training set; 0 skips the phase. @default {5000} */
  lbfgsIterations?: number;
  /** L-BFGS correction pairs kept. @default {20} */
  lbfgsHistory?: number;
  /** L-BFGS iterations between held-out evaluations (progress, best weights). @default {10} */
  evaluateEvery?: number;
  /**
   * Wall-clock budget of the whole refit, milliseconds: training stops in time
   * to evaluate and return the best weights within it.
   * @default {Infinity}
   */
  budgetMs?: number;
  /** Share of a finite budget given to Adam when L-BFGS follows. @default {0.5} */
  adamShare?: number;
  /** Seed of the held-out split, the minibatch shuffles and the sampling, in `[0, 2^32)`. @default {0} */
  seed?: number;
  /** Share of the points held out for picking the best weights and the metrics, in `(0, 1)`. @default {0.2} */
  holdout?: number;
  /** End the Adam phase after this many epochs without better weights (see `refit`). @default {20} */
  patience?: number;
  /**
   * Floor of the Jacobian entry scales as a fraction of their output's mean:
   * entry `(i, j)`'s squared error is divided by `max(s_ij, floor · s̄_i)`, where
   * `s_ij` is the mean of `(∂yn_i/∂xn_j)²` over the training targets and
   * `s̄_i = mean_j s_ij` (so an entry that is zero everywhere gets a finite weight).
   * @default {0.1}
   */
  entryFloor?: number;
  /**
   * How Jacobian entries are weighted: `"entry"` divides entry `(i, j)`'s squared
   * error by its own scale (see `entryFloor`); `"row"` by the mean square of its
   * output row in physical units, so the term is the mean square of the
   * row-normalized error the metrics report.
   * @default {"row"}
   */
  weighting?: "entry" | "row";
  /**
   * The worst held-out row-normalized Jacobian error per output aimed below:
   * the best weights are those whose errors exceed it least (see `refit`).
   * @default {0.01}
   */
  target?: number;
  /** New training points where the error is largest (analytic targets only). @default {undefined} */
  adaptive?: AdaptiveSampling;
  /**
   * The clock the budget is measured with, milliseconds (e.g. the process's CPU
   * time, to compare settings on a busy machine). Timings are always wall clock.
   * @default {performance.now}
   */
  clock?: () => number;
  /** Stops training (with the best weights) when aborted. @default {undefined} */
  signal?: AbortSignal;
  /** Called after every epoch and L-BFGS checkpoint; the library never prints. @default {undefined} */
  onEpoch?: (info: EpochInfo) => void;
}

/** Why training stopped. */
export type StopReason =
  | "steps" // every allowed epoch and iteration ran
  | "converged" // L-BFGS could not lower the loss any more (float32 round-off)
  | "patience" // Adam stopped improving and no L-BFGS phase follows
  | "budget" // the wall-clock budget ran out
  | "interrupted" // the abort signal fired
  | "diverged"; // the loss became non-finite

/** Time spent, milliseconds (wall clock) and CPU time of the process. */
export interface RefitTimings {
  /** Planning, data preparation and the metrics of the starting model. */
  readonly prepareMs: number;
  /** The training loop. */
  readonly trainMs: number;
  /** Of which the Adam phase. */
  readonly adamMs: number;
  /** Of which the L-BFGS phase. */
  readonly lbfgsMs: number;
  /** Building the new model and its metrics. */
  readonly finishMs: number;
  /** All of it. */
  readonly totalMs: number;
  /** User CPU time of the process during the refit (all threads), milliseconds. */
  readonly cpuUserMs: number;
}

/** The outcome of {@linkcode refit}. */
export interface RefitResult {
  /** The model's input names, width `n`. */
  readonly inputs: readonly string[];
  /** The model's output names, width `m`. */
  readonly outputs: readonly string[];
  /** The refit ONNX model (the original graph with new initializer values). */
  readonly onnx: OnnxModel;
  /**
   * The refit state_dict: every key of the starting one, same order, shapes and
   * dtypes (initializer names when `plan.naming` is `"initializer"`).
   */
  readonly stateDict: StateDict;
  /** What was trained and what was kept. */
  readonly plan: TrainingPlan;
  /** The options used, defaults filled in. */
  readonly options: ResolvedRefitOptions;
  /** Why training stopped. */
  readonly stopReason: StopReason;
  /** Epochs and checkpoints recorded (the length of `history`). */
  readonly epochsRun: number;
  /** Adam epochs run. */
  readonly adamEpochs: number;
  /** L-BFGS iterations run and objective evaluations they used. */
  readonly lbfgs: { readonly iterations: number; readonly evaluations: number };
  /** The epoch whose weights were kept (0 = no epoch improved on the start). */
  readonly bestEpoch: number;
  /** Per-epoch progress. */
  readonly history: readonly EpochInfo[];
  /** Rounds of adaptive sampling. */
  readonly adaptiveRounds: readonly AdaptiveRound[];
  /** Training points at the end (including adaptive ones) and held-out points. */
  readonly split: { readonly train: number; readonly holdout: number; readonly added: number };
  /**
   * The held-out points and their targets (physical units), and their 0-based
   * rows in the data given to the refit (for the report's labels).
   */
  readonly heldOut: { readonly data: RefitData; readonly rows: readonly number[] };
  /** Metrics of the starting model on the held-out points. */
  readonly before: RefitMetrics;
  /** Metrics of the refit model on the held-out points. */
  readonly after: RefitMetrics;
  /** The tfjs backend used. */
  readonly backend: string;
  /**
   * How the loss took the model's Jacobians: `"forward"`, the derivative graph
   * (forward mode, then one reverse pass for the weights), or `"reverse"`,
   * reverse mode over reverse mode, with the reason the graph could not be used.
   */
  readonly jacobianMode: { readonly mode: "forward" | "reverse"; readonly reason?: string };
  /** Timings. */
  readonly timings: RefitTimings;
  /** Trainable tensor elements. */
  readonly trainableElements: number;
}

/** {@linkcode RefitOptions} with defaults filled in (callbacks, signal and sampler left out). */
export type ResolvedRefitOptions = Required<
  Omit<RefitOptions, "onEpoch" | "signal" | "adaptive" | "clock">
>;

/** Points per tensor call on whole sets (bounds memory, not results). */
const CHUNK = 1024;

/** Milliseconds between yields to the event loop (so signals are seen). */
const YIELD_MS = 100;

/**
 * Refits a surrogate on values and Jacobians (Sobolev training).
 *
 * Trainable variables are the state_dict tensors (see {@linkcode planFromStateDict}
 * for which): from `surrogate.weights`, else the state_dict the ONNX file was
 * exported with (`model.pth`/`model.safetensors` beside it), else the float
 * initializers themselves ({@linkcode planFromInitializers}). The loss is
 * {@linkcode sobolevLoss} in normalized units: targets are converted with the
 * surrogate's scaling, `yn = normalize(y)` and
 * `Jn_kij = s_out_i · J_kij / s_in_j` (`s = dxn/dx`), and entry `(i, j)` is
 * weighted as {@linkcode RefitOptions.weighting} says. The model's Jacobians
 * come from its forward-mode derivative graph compiled for tfjs when it has
 * one ({@linkcode compileJacobianGraph}), else by reverse mode.
 *
 * Training: Adam over shuffled minibatches (seeded) with a cosine or constant
 * learning rate, until its epochs, its patience or its share of the budget run
 * out; then L-BFGS ({@linkcode Lbfgs}) on the whole training set until its
 * iterations or the budget run out or it cannot lower the loss. With
 * `adaptive`, when L-BFGS starts and every `adaptive.every` L-BFGS iterations
 * the candidates where the model's Jacobian is worst are added to the training
 * set ({@linkcode refineTrainingSet}). After every Adam epoch and every
 * `evaluateEvery` L-BFGS iterations the held-out loss and errors are measured
 * and the weights whose worst held-out Jacobian errors exceed the target
 * least are kept (then the lowest sum of worst errors, then the lowest held-out
 * loss, which alone decides without Jacobian targets). The budget and the
 * signal stop training between steps; the best weights are then returned as
 * usual, with {@linkcode RefitResult.stopReason} saying why.
 *
 * Before/after metrics are computed on the held-out points with the starting
 * surrogate and a surrogate made from the new ONNX (onnxruntime values, tfjs
 * Jacobians). Every tensor made is disposed; the same seed and step limits give
 * the same result (a budget or a signal may stop at a different step).
 *
 * @param surrogate The model to refit (not modified).
 * @param data Training points and targets, physical units, the model's names.
 * @param options Hyper-parameters, budget, signal and progress callback.
 * @throws {TypeError} If the data's names differ from the model's, or λ > 0 without Jacobian targets.
 * @throws {RangeError} If an option is out of range.
 */
export async function refit(
  surrogate: Surrogate,
  data: RefitData,
  options: RefitOptions = {},
): Promise<RefitResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const opts = resolveOptions(options);
  const clock = options.clock ?? (() => performance.now());
  const c0 = clock();
  const { signal, onEpoch, adaptive } = options;
  checkData(surrogate, data, opts.lambda);
  const backend = await initTf();
  const plan = await planFor(surrogate);
  const n = surrogate.inputs.length;
  const m = surrogate.outputs.length;
  const deadline = c0 + opts.budgetMs;

  // Seeded split.
  const random = mulberry32(opts.seed);
  const order = shuffle(Array.from({ length: data.points }, (_, k) => k), random);
  const holdoutCount = Math.max(1, Math.round(opts.holdout * data.points));
  if (holdoutCount >= data.points) {
    throw new RangeError(
      `Cannot refit: ${data.points} points leave none for training with holdout ${opts.holdout}`,
    );
  }
  const holdoutRows = order.slice(0, holdoutCount).sort((a, b) => a - b);
  const holdoutData = selectRows(data, holdoutRows);
  let trainData = selectRows(data, order.slice(holdoutCount).sort((a, b) => a - b));
  let train = normalizedSet(surrogate, trainData);
  const held = normalizedSet(surrogate, holdoutData);
  const weights = opts.weighting === "row"
    ? rowWeights(train.jacobian, train.points, surrogate.scaling)
    : entryWeights(train.jacobian, train.points, m, n, opts.entryFloor);

  const tBefore = clock();
  const before = await evaluateSurrogate(surrogate, holdoutData);
  // The same evaluation of the refit model closes the run: keep time for it.
  const finishReserveMs = 1.5 * (clock() - tBefore) + 50;
  const model = await surrogate.tfModel();
  const compiled = opts.lambda > 0 ? await compileJacobianGraph(surrogate.onnx) : undefined;
  let jacobianGraph = compiled && "graph" in compiled ? compiled.graph : undefined;
  let jacobianMode: RefitResult["jacobianMode"] = jacobianGraph ? { mode: "forward" } : {
    mode: "reverse",
    ...(compiled && "reason" in compiled ? { reason: compiled.reason } : {}),
  };
  const t1 = performance.now();
  const c1 = clock();

  const makeObjective = () =>
    new RefitObjective(model, plan, {
      lambda: opts.lambda,
      entryWeights: weights,
      chunk: CHUNK,
      ...(jacobianGraph ? { jacobianGraph } : {}),
    });
  let objective = makeObjective();
  let trainT: TensorSet = toTensorSet(train, m, n);
  if (jacobianGraph) {
    // One gradient on a few rows: a derivative graph tfjs cannot differentiate
    // falls back to reverse mode here rather than failing mid-training.
    const probe = sliceSet(trainT, 0, Math.min(4, train.points));
    try {
      objective.lossAndGradient(probe);
    } catch (e) {
      objective.dispose();
      jacobianGraph.graph.dispose();
      jacobianGraph = undefined;
      jacobianMode = {
        mode: "reverse",
        reason: `the derivative graph failed in training: ${e instanceof Error ? e.message : e}`,
      };
      objective = makeObjective();
    } finally {
      disposeSet(probe);
    }
  }
  const history: EpochInfo[] = [];
  const adaptiveRounds: AdaptiveRound[] = [];
  const score = (): HeldOutScore =>
    scoreHeldOut(objective.valuesAndJacobians(held.x), holdoutData, surrogate.scaling, {
      lambda: opts.lambda,
      entryWeights: weights,
    });
  let bestScore = score();
  /**
   * The best weights are those whose worst held-out Jacobian errors (the
   * quantity the target bounds, per output) exceed the target least, summed
   * over outputs; then, when every output is below the target, the lowest sum
   * of the worst errors (a margin for points the held-out set does not hold);
   * the held-out loss breaks ties and decides without Jacobian targets. A
   * lower mean loss can hide a larger error where the error concentrates.
   */
  const better = (a: HeldOutScore, b: HeldOutScore): boolean => {
    if (opts.lambda > 0) {
      for (const floor of [opts.target, 0]) {
        const ea = excess(a.jacobianError, floor), eb = excess(b.jacobianError, floor);
        if (Number.isFinite(ea) && Number.isFinite(eb) && ea !== eb) return ea < eb;
      }
    }
    return a.loss.total < b.loss.total;
  };
  let bestEpoch = 0;
  let bestValues = objective.snapshot();
  let stopReason: StopReason = "steps";
  let adamEpochs = 0;
  let lbfgsIterations = 0;
  let lbfgsEvaluations = 0;
  let lastYield = performance.now();
  /** One round of adaptive sampling at the current weights; true when points were added. */
  const startingTrainPoints = trainData.points;
  const refine = (sampling: AdaptiveSampling): boolean => {
    const round = refineTrainingSet(sampling, {
      round: adaptiveRounds.length,
      seed: opts.seed,
      // 10 % of the starting set per round, as documented (not of the grown set)
      trainPoints: startingTrainPoints,
      modelAt: (xn) => objective.valuesAndJacobians(xn),
      scaling: surrogate.scaling,
    });
    adaptiveRounds.push(round.summary);
    if (round.data.points === 0) return false;
    trainData = concatData(trainData, round.data);
    train = normalizedSet(surrogate, trainData);
    disposeSet(trainT);
    trainT = toTensorSet(train, m, n);
    return true;
  };
  const stopNow = (): StopReason | undefined => {
    if (signal?.aborted) return "interrupted";
    if (clock() + finishReserveMs >= deadline) return "budget";
    return undefined;
  };
  const yieldNow = async () => {
    if (performance.now() - lastYield < YIELD_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    lastYield = performance.now();
  };
  // Milliseconds per Adam epoch and per L-BFGS iteration, measured as they run.
  let epochMs = NaN, iterationMs = NaN;
  const eta = (phase: RefitPhase, remainingEpochs: number, remainingIterations: number) => {
    const perIteration = Number.isFinite(iterationMs) ? iterationMs : 1.5 * epochMs;
    const work = (phase === "adam" ? remainingEpochs * epochMs : 0) +
      remainingIterations * perIteration;
    const left = deadline - finishReserveMs - clock();
    return Math.max(0, Math.min(Number.isFinite(work) ? work : Infinity, left));
  };
  const record = (
    phase: RefitPhase,
    step: number,
    steps: number,
    trainLoss: number,
    learningRate: number,
    etaMs: number,
  ): HeldOutScore => {
    const s = score();
    const epoch = history.length + 1;
    if (better(s, bestScore)) {
      bestScore = s;
      bestEpoch = epoch;
      bestValues = objective.snapshot();
    }
    const info: EpochInfo = {
      epoch,
      phase,
      step,
      steps,
      epochs: steps,
      trainLoss,
      holdoutLoss: s.loss.total,
      holdoutValueLoss: s.loss.value,
      holdoutJacobianLoss: s.loss.jacobian,
      holdoutJacobianError: s.jacobianError,
      holdoutR2: s.r2,
      learningRate,
      trainPoints: train.points,
      bestEpoch,
      elapsedMs: clock() - c1,
      etaMs,
    };
    history.push(info);
    onEpoch?.(info);
    return s;
  };

  const adamDeadline = opts.lbfgsIterations > 0 && Number.isFinite(opts.budgetMs)
    ? c1 + opts.adamShare * (deadline - finishReserveMs - c1)
    : Infinity;
  let tAdam = t1, tLbfgs = t1;
  try {
    // Phase 1: Adam on minibatches.
    const optimizer = tf.train.adam(opts.learningRate);
    // tfjs's Adam reads its `learningRate` field at every step; the schedule sets it.
    const lrField = optimizer as unknown as { learningRate: number };
    const trainRows = Array.from({ length: train.points }, (_, k) => k);
    let lastImprovement = 0;
    let lr = opts.learningRate;
    try {
      adam: for (let epoch = 1; epoch <= opts.epochs; epoch++) {
        const started = clock();
        shuffle(trainRows, random);
        let sum = 0;
        for (let s = 0; s < trainRows.length; s += opts.batchSize) {
          const stop = stopNow();
          if (stop !== undefined) {
            stopReason = stop;
            break adam;
          }
          if (clock() >= adamDeadline) break adam;
          lr = learningRateAt(
            opts,
            epoch - 1 + s / trainRows.length,
            clock() - c1,
            adamDeadline - c1,
          );
          lrField.learningRate = lr;
          const rows = trainRows.slice(s, s + opts.batchSize);
          const cost = tf.tidy(() => {
            const batch = gatherSet(trainT, rows);
            return optimizer.minimize(
              () => objective.loss(batch).total,
              true,
              objective.variables,
            )!;
          });
          sum += cost.dataSync()[0]! * rows.length;
          cost.dispose();
          await yieldNow();
        }
        adamEpochs = epoch;
        const ms = clock() - started;
        epochMs = Number.isFinite(epochMs) ? 0.7 * epochMs + 0.3 * ms : ms;
        const previousBest = bestEpoch;
        const s = record(
          "adam",
          epoch,
          opts.epochs,
          sum / trainRows.length,
          lr,
          eta("adam", opts.epochs - epoch, opts.lbfgsIterations),
        );
        if (bestEpoch !== previousBest) lastImprovement = epoch;
        if (!Number.isFinite(s.loss.total)) {
          stopReason = "diverged";
          break;
        }
        if (epoch - lastImprovement >= opts.patience) {
          if (opts.lbfgsIterations === 0) stopReason = "patience";
          break;
        }
        await yieldNow();
      }
    } finally {
      optimizer.dispose();
    }
    tAdam = performance.now();

    // Phase 2: L-BFGS on the whole training set, from the best weights so far.
    if (opts.lbfgsIterations > 0 && (stopReason === "steps")) {
      const stop = stopNow();
      if (stop !== undefined) stopReason = stop;
    }
    if (opts.lbfgsIterations > 0 && stopReason === "steps") {
      objective.write(flatten(plan, bestValues));
      // L-BFGS starts on a training set already refined where Adam left the largest errors.
      if (adaptive !== undefined) refine(adaptive);
      let lastParts: LossParts | undefined;
      const evaluate = (x: Float64Array) => {
        objective.write(x);
        const { parts, gradient } = objective.lossAndGradient(trainT);
        lastParts = parts;
        lbfgsEvaluations++;
        return { f: parts.total, g: gradient };
      };
      const lbfgs = await Lbfgs.start(evaluate, objective.read(), { history: opts.lbfgsHistory });
      let failures = 0;
      let checkpointStart = clock();
      let lastStep = 0;
      let recorded = 0;
      while (lbfgsIterations < opts.lbfgsIterations) {
        const stop = stopNow();
        if (stop !== undefined) {
          stopReason = stop;
          break;
        }
        const step = await lbfgs.step();
        if (step.status !== "ok") {
          // Round-off: memory dropped; two failures in a row mean no further progress.
          if (++failures >= 2) {
            stopReason = "converged";
            break;
          }
          continue;
        }
        failures = 0;
        lbfgsIterations++;
        lastStep = step.step;
        await yieldNow();
        const due = lbfgsIterations % opts.evaluateEvery === 0 ||
          lbfgsIterations === opts.lbfgsIterations;
        if (!due) continue;
        const now = clock();
        const ms = (now - checkpointStart) / opts.evaluateEvery;
        iterationMs = Number.isFinite(iterationMs) ? 0.7 * iterationMs + 0.3 * ms : ms;
        checkpointStart = now;
        objective.write(lbfgs.x);
        recorded = lbfgsIterations;
        const s = record(
          "lbfgs",
          lbfgsIterations,
          opts.lbfgsIterations,
          lastParts?.total ?? lbfgs.f,
          lastStep,
          eta("lbfgs", 0, opts.lbfgsIterations - lbfgsIterations),
        );
        if (!Number.isFinite(s.loss.total)) {
          stopReason = "diverged";
          break;
        }
        if (adaptive !== undefined && lbfgsIterations % (adaptive.every ?? 50) === 0) {
          if (refine(adaptive)) await lbfgs.reset();
        }
      }
      // The last iterations since a checkpoint count too.
      if (lbfgsIterations > recorded && stopReason !== "interrupted") {
        objective.write(lbfgs.x);
        record("lbfgs", lbfgsIterations, opts.lbfgsIterations, lbfgs.f, lastStep, 0);
      }
    }
    tLbfgs = performance.now();
  } finally {
    objective.dispose();
    jacobianGraph?.graph.dispose();
    disposeSet(trainT);
  }
  const t2 = performance.now();

  const stateDict = buildStateDict(plan, bestValues);
  const onnx = replaceInitializers(
    surrogate.onnx,
    applyStateDict(surrogate.onnx, stateDict, plan.map),
  );
  const after = makeSurrogate(onnx, surrogate.scaling);
  let afterMetrics: RefitMetrics;
  try {
    afterMetrics = await evaluateSurrogate(after, holdoutData);
  } finally {
    await after.dispose();
  }
  const t3 = performance.now();
  const { onEpoch: _e, signal: _s, adaptive: _a, clock: _c, ...resolved } = opts;
  return {
    inputs: [...surrogate.inputs],
    outputs: [...surrogate.outputs],
    onnx,
    stateDict,
    plan,
    options: resolved,
    stopReason,
    epochsRun: history.length,
    adamEpochs,
    lbfgs: { iterations: lbfgsIterations, evaluations: lbfgsEvaluations },
    bestEpoch,
    history,
    adaptiveRounds,
    split: {
      train: trainData.points,
      holdout: holdoutData.points,
      added: trainData.points - (data.points - holdoutData.points),
    },
    heldOut: { data: holdoutData, rows: holdoutRows },
    before,
    after: afterMetrics,
    backend,
    jacobianMode,
    timings: {
      prepareMs: t1 - t0,
      trainMs: t2 - t1,
      adamMs: tAdam - t1,
      lbfgsMs: tLbfgs - tAdam,
      finishMs: t3 - t2,
      totalMs: t3 - t0,
      cpuUserMs: process.cpuUsage(cpu0).user / 1000,
    },
    trainableElements: plan.trainable.reduce((a, k) => a + plan.dict.get(k)!.data.length, 0),
  };
}

type Resolved =
  & ResolvedRefitOptions
  & Pick<RefitOptions, "onEpoch" | "signal" | "adaptive" | "clock">;

function resolveOptions(options: RefitOptions): Resolved {
  const o = {
    lambda: options.lambda ?? 1,
    epochs: options.epochs ?? 200,
    batchSize: options.batchSize ?? 64,
    learningRate: options.learningRate ?? 3e-3,
    schedule: options.schedule ?? "cosine",
    lbfgsIterations: options.lbfgsIterations ?? 5000,
    lbfgsHistory: options.lbfgsHistory ?? 20,
    evaluateEvery: options.evaluateEvery ?? 10,
    budgetMs: options.budgetMs ?? Infinity,
    adamShare: options.adamShare ?? 0.5,
    seed: options.seed ?? 0,
    holdout: options.holdout ?? 0.2,
    patience: options.patience ?? 20,
    target: options.target ?? DEFAULT_REFIT_TARGET,
    entryFloor: options.entryFloor ?? 0.1,
    weighting: options.weighting ?? "row",
  };
  const check = (name: string, ok: boolean, value: unknown, range: string) => {
    if (!ok) throw new RangeError(`Cannot refit: ${name} ${value} is not ${range}`);
  };
  const integer = (name: string, v: number, min: number) =>
    check(name, Number.isInteger(v) && v >= min, v, `an integer ≥ ${min}`);
  check("lambda", o.lambda >= 0 && Number.isFinite(o.lambda), o.lambda, "a finite number ≥ 0");
  integer("epochs", o.epochs, 0);
  integer("batch size", o.batchSize, 1);
  check(
    "learning rate",
    o.learningRate > 0 && Number.isFinite(o.learningRate),
    o.learningRate,
    "a finite number > 0",
  );
  check(
    "schedule",
    o.schedule === "cosine" || o.schedule === "constant",
    o.schedule,
    '"cosine" or "constant"',
  );
  integer("L-BFGS iterations", o.lbfgsIterations, 0);
  integer("L-BFGS history", o.lbfgsHistory, 1);
  integer("evaluateEvery", o.evaluateEvery, 1);
  check(
    "epochs",
    o.epochs + o.lbfgsIterations > 0,
    o.epochs,
    "> 0 when there are no L-BFGS iterations",
  );
  check("budget", o.budgetMs > 0, o.budgetMs, "> 0 milliseconds");
  check("Adam share", o.adamShare >= 0 && o.adamShare <= 1, o.adamShare, "in [0, 1]");
  check(
    "seed",
    Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffffffff,
    o.seed,
    "an integer in [0, 4294967295]",
  );
  check("holdout", o.holdout > 0 && o.holdout < 1, o.holdout, "in (0, 1)");
  check(
    "weighting",
    o.weighting === "entry" || o.weighting === "row",
    o.weighting,
    '"entry" or "row"',
  );
  integer("patience", o.patience, 1);
  check("target", o.target > 0 && Number.isFinite(o.target), o.target, "a finite number > 0");
  check(
    "entry floor",
    o.entryFloor > 0 && Number.isFinite(o.entryFloor),
    o.entryFloor,
    "a finite number > 0",
  );
  return {
    ...o,
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.adaptive ? { adaptive: options.adaptive } : {}),
  };
}

/**
 * The Adam learning rate at fractional epoch `e` (0-based): constant, or a
 * cosine from the peak to 1 % of it over the phase — its epochs, or its share of
 * a finite budget when that ends first (measured by elapsed time).
 */
function learningRateAt(
  o: ResolvedRefitOptions,
  e: number,
  elapsed: number,
  phaseLength: number,
): number {
  if (o.schedule === "constant") return o.learningRate;
  let progress = e / Math.max(1, o.epochs);
  if (Number.isFinite(phaseLength)) progress = Math.max(progress, elapsed / phaseLength);
  const p = Math.min(1, Math.max(0, progress));
  const floor = 0.01;
  return o.learningRate * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * p)));
}

function checkData(surrogate: Surrogate, data: RefitData, lambda: number): void {
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((v, i) => v === b[i]);
  if (!same(data.inputs, surrogate.inputs) || !same(data.outputs, surrogate.outputs)) {
    throw new TypeError(
      `Cannot refit ${surrogate.onnx.source} on ${data.source}: the model maps ${
        surrogate.inputs.join(", ")
      } to ${surrogate.outputs.join(", ")}, the data has ${data.inputs.join(", ")} and ${
        data.outputs.join(", ")
      }`,
    );
  }
  if (lambda > 0 && !data.jacobian) {
    throw new TypeError(
      `Cannot refit on ${data.source}: λ = ${lambda} needs Jacobian targets (a reference or d<out>_d<in> columns)`,
    );
  }
}

async function planFor(surrogate: Surrogate): Promise<TrainingPlan> {
  if (surrogate.weights) return planFromStateDict(surrogate.weights.map, surrogate.weights.dict);
  const exported = await findExportedWeights(surrogate.onnx.source).catch(() => undefined);
  if (exported !== undefined) {
    const dict = await loadStateDict(exported);
    return planFromStateDict(mapStateDict(surrogate.onnx, dict), dict);
  }
  return planFromInitializers(surrogate.onnx);
}

/** Fisher–Yates in place with the given generator; returns the array. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A data set in normalized units, float32. */
export function normalizedSet(surrogate: Surrogate, data: RefitData): NormalizedSet {
  const { scaling } = surrogate;
  const n = scaling.inputs.length;
  const m = scaling.outputs.length;
  const x = Float32Array.from(normalize(scaling.inputs, data.x));
  const y = Float32Array.from(normalize(scaling.outputs, data.values));
  let jacobian: Float32Array | undefined;
  if (data.jacobian) {
    jacobian = new Float32Array(data.jacobian.length);
    for (let k = 0; k < data.points; k++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const at = (k * m + i) * n + j;
          jacobian[at] = scaling.outputs[i]!.scale * data.jacobian[at]! / scaling.inputs[j]!.scale;
        }
      }
    }
  }
  return { points: data.points, x, y, ...(jacobian ? { jacobian } : {}) };
}

/**
 * `w_ij = 1 / max(s_ij, floor · s̄_i)` with `s_ij = mean_k Jn_kij²`, `s̄_i = mean_j s_ij`;
 * all ones without Jacobian targets.
 */
/**
 * Weights that make the Jacobian term the mean square of the physical
 * row-normalized error: `w_ij = (s_in_j / s_out_i)² / mean_{k,j} J_phys_kij²`,
 * with `J_phys = Jn · s_in_j / s_out_i`; all ones without Jacobian targets.
 */
function rowWeights(
  jacobian: Float32Array | undefined,
  points: number,
  scaling: Surrogate["scaling"],
): Float32Array {
  const m = scaling.outputs.length, n = scaling.inputs.length;
  const w = new Float32Array(m * n).fill(1);
  if (!jacobian) return w;
  for (let i = 0; i < m; i++) {
    const so = scaling.outputs[i]!.scale;
    let ms = 0;
    for (let k = 0; k < points; k++) {
      for (let j = 0; j < n; j++) {
        ms += (jacobian[(k * m + i) * n + j]! * scaling.inputs[j]!.scale / so) ** 2 / (points * n);
      }
    }
    for (let j = 0; j < n; j++) {
      const f = (scaling.inputs[j]!.scale / so) ** 2;
      w[i * n + j] = ms > 0 ? f / ms : 1;
    }
  }
  return w;
}

function entryWeights(
  jacobian: Float32Array | undefined,
  points: number,
  m: number,
  n: number,
  floor: number,
): Float32Array {
  const w = new Float32Array(m * n).fill(1);
  if (!jacobian) return w;
  const s = new Float64Array(m * n);
  for (let k = 0; k < points; k++) {
    for (let e = 0; e < m * n; e++) s[e]! += jacobian[k * m * n + e]! ** 2 / points;
  }
  for (let i = 0; i < m; i++) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += s[i * n + j]! / n;
    for (let j = 0; j < n; j++) {
      const scale = Math.max(s[i * n + j]!, floor * mean);
      w[i * n + j] = scale > 0 ? 1 / scale : 1;
    }
  }
  return w;
}

/** `Σ_i max(e_i, target)` over per-output errors (`NaN` when there are none or any is `NaN`). */
function excess(errors: readonly number[], target: number): number {
  if (errors.length === 0) return NaN;
  return errors.reduce((s, e) => s + Math.max(e, target), 0);
}

/** Snapshot values laid out as {@linkcode RefitObjective.read}'s vector. */
function flatten(plan: TrainingPlan, values: ReadonlyMap<string, Float32Array>): Float64Array {
  const size = plan.trainable.reduce((a, k) => a + values.get(k)!.length, 0);
  const out = new Float64Array(size);
  let at = 0;
  for (const key of plan.trainable) {
    const v = values.get(key)!;
    out.set(v, at);
    at += v.length;
  }
  return out;
}

/** Every key of the starting dict, same order, shape and dtype; trained and tied keys updated. */
function buildStateDict(plan: TrainingPlan, values: ReadonlyMap<string, Float32Array>): StateDict {
  const owner = new Map(plan.tied.map((t) => [t.key, t.owner]));
  const out = new Map<string, StateTensor>();
  for (const [key, tensor] of plan.dict) {
    const source = values.get(key) ?? values.get(owner.get(key) ?? "");
    if (source === undefined) {
      out.set(key, tensor);
      continue;
    }
    const data = tensor.dtype === "float64" ? Float64Array.from(source) : Float32Array.from(source);
    out.set(key, { shape: tensor.shape, dtype: tensor.dtype, data });
  }
  return out;
}
