/**
 * Gradient-enhanced (Sobolev) refit of a surrogate in TensorFlow.js: Adam on
 * the PyTorch state_dict tensors, with the folded ONNX initializers recomputed
 * from them at every step, a seeded held-out split with early stopping, and the
 * result as a new state_dict (original keys, shapes, dtypes) and ONNX model.
 *
 * @module
 */
import { type OnnxModel, replaceInitializers } from "../onnx/model.ts";
import { mulberry32 } from "../sampling/prng.ts";
import { normalize } from "../scaling/scaler.ts";
import { findExportedWeights, makeSurrogate, type Surrogate } from "../surrogate/surrogate.ts";
import { initTf, tf } from "../tf/backend.ts";
import { applyStateDict } from "../weights/apply.ts";
import { initializerFromParameters } from "../weights/differentiable.ts";
import { loadStateDict } from "../weights/load.ts";
import { mapStateDict } from "../weights/map.ts";
import type { StateDict, StateTensor } from "../weights/state_dict.ts";
import { type RefitData, selectRows } from "./data.ts";
import { type SobolevLoss, sobolevLoss } from "./loss.ts";
import { evaluateSurrogate, type RefitMetrics } from "./metrics.ts";
import { planFromInitializers, planFromStateDict, type TrainingPlan } from "./parameters.ts";

/** Progress after one epoch, passed to {@linkcode RefitOptions.onEpoch}. */
export interface EpochInfo {
  /** 1-based epoch. */
  readonly epoch: number;
  /** The maximum number of epochs. */
  readonly epochs: number;
  /** Mean training loss over the epoch's minibatches (normalized units). */
  readonly trainLoss: number;
  /** Held-out loss after the epoch. */
  readonly holdoutLoss: number;
  /** Held-out value term. */
  readonly holdoutValueLoss: number;
  /** Held-out Jacobian term (before λ). */
  readonly holdoutJacobianLoss: number;
  /** The epoch with the lowest held-out loss so far (0 = the starting weights). */
  readonly bestEpoch: number;
  /** Milliseconds since training started. */
  readonly elapsedMs: number;
}

/** Options of {@linkcode refit}. */
export interface RefitOptions {
  /** Weight λ of the Jacobian term; 0 is plain value training. @default {1} */
  lambda?: number;
  /** Maximum number of epochs. @default {200} */
  epochs?: number;
  /** Minibatch size. @default {64} */
  batchSize?: number;
  /** Adam learning rate. @default {0.001} */
  learningRate?: number;
  /** Seed of the held-out split and the minibatch shuffles, in `[0, 2^32)`. @default {0} */
  seed?: number;
  /** Share of the points held out for early stopping and the metrics, in `(0, 1)`. @default {0.2} */
  holdout?: number;
  /** Stop after this many epochs without a better held-out loss. @default {20} */
  patience?: number;
  /**
   * Floor of the Jacobian entry scales as a fraction of their output's mean:
   * entry `(i, j)`'s squared error is divided by `max(s_ij, floor · s̄_i)`, where
   * `s_ij` is the mean of `(∂yn_i/∂xn_j)²` over the training targets and
   * `s̄_i = mean_j s_ij` (so an entry that is zero everywhere gets a finite weight).
   * @default {0.1}
   */
  entryFloor?: number;
  /** Called after every epoch; the library never prints. @default {undefined} */
  onEpoch?: (info: EpochInfo) => void;
}

/** Time spent, milliseconds. */
export interface RefitTimings {
  /** Planning, data preparation and the metrics of the starting model. */
  readonly prepareMs: number;
  /** The training loop. */
  readonly trainMs: number;
  /** Building the new model and its metrics. */
  readonly finishMs: number;
  /** All of it. */
  readonly totalMs: number;
}

/** The outcome of {@linkcode refit}. */
export interface RefitResult {
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
  readonly options: Required<Omit<RefitOptions, "onEpoch">>;
  /** Epochs run. */
  readonly epochsRun: number;
  /** The epoch whose weights were kept (0 = no epoch improved on the start). */
  readonly bestEpoch: number;
  /** Per-epoch progress. */
  readonly history: readonly EpochInfo[];
  /** Training and held-out points. */
  readonly split: { readonly train: number; readonly holdout: number };
  /** Metrics of the starting model on the held-out points. */
  readonly before: RefitMetrics;
  /** Metrics of the refit model on the held-out points. */
  readonly after: RefitMetrics;
  /** The tfjs backend used. */
  readonly backend: string;
  /** Timings. */
  readonly timings: RefitTimings;
  /** Trainable tensor elements. */
  readonly trainableElements: number;
}

/** Held-out points evaluated per loss call (bounds memory, not results). */
const HOLDOUT_CHUNK = 512;

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
 * weighted by `1 / max(s_ij, entryFloor · s̄_i)` (see {@linkcode RefitOptions.entryFloor}).
 * Adam over shuffled minibatches (seeded), a seeded held-out split, early
 * stopping on the held-out loss with the best weights restored. Before/after
 * metrics are computed on the held-out points with the starting surrogate and a
 * surrogate made from the new ONNX (onnxruntime values, tfjs Jacobians).
 * Every tensor made is disposed; the same seed gives the same result.
 *
 * @param surrogate The model to refit (not modified).
 * @param data Training points and targets, physical units, the model's names.
 * @param options Hyper-parameters and progress callback.
 * @throws {TypeError} If the data's names differ from the model's, or λ > 0 without Jacobian targets.
 * @throws {RangeError} If an option is out of range.
 */
export async function refit(
  surrogate: Surrogate,
  data: RefitData,
  options: RefitOptions = {},
): Promise<RefitResult> {
  const t0 = performance.now();
  const opts = resolveOptions(options);
  checkData(surrogate, data, opts.lambda);
  const backend = await initTf();
  const plan = await planFor(surrogate);
  const n = surrogate.inputs.length;
  const m = surrogate.outputs.length;

  // Seeded split.
  const random = mulberry32(opts.seed);
  const order = shuffle(Array.from({ length: data.points }, (_, k) => k), random);
  const holdoutCount = Math.max(1, Math.round(opts.holdout * data.points));
  if (holdoutCount >= data.points) {
    throw new RangeError(
      `Cannot refit: ${data.points} points leave none for training with holdout ${opts.holdout}`,
    );
  }
  const holdoutData = selectRows(data, order.slice(0, holdoutCount).sort((a, b) => a - b));
  const trainData = selectRows(data, order.slice(holdoutCount).sort((a, b) => a - b));
  const train = normalizedArrays(surrogate, trainData);
  const held = normalizedArrays(surrogate, holdoutData);
  const weights = entryWeights(train.jacobian, trainData.points, m, n, opts.entryFloor);

  const before = await evaluateSurrogate(surrogate, holdoutData);
  const model = await surrogate.tfModel();
  const t1 = performance.now();

  // Variables, one per trainable key.
  const variables = new Map<string, tf.Variable>();
  for (const key of plan.trainable) {
    const t = plan.dict.get(key)!;
    const values = Float32Array.from(t.data as ArrayLike<number>);
    variables.set(key, tf.tidy(() => tf.variable(tf.tensor(values, [...t.shape]), true)));
  }
  const varList = [...variables.values()];
  const optimizer = tf.train.adam(opts.learningRate);
  const trainT = toTensors(train, trainData.points, m, n);
  const heldT = toTensors(held, holdoutData.points, m, n);
  const weightT = tf.tensor2d(weights, [m, n]);
  const lossOn = (batch: Batch): SobolevLoss => {
    const overrides = new Map<string, tf.Tensor>();
    for (const name of plan.initializers) {
      overrides.set(name, initializerFromParameters(plan.map, name, variables));
    }
    return sobolevLoss((x) => model.apply(x, overrides), batch, {
      lambda: opts.lambda,
      entryWeights: weightT,
    });
  };
  const holdoutLoss = () => {
    let total = 0, value = 0, jac = 0;
    for (let s = 0; s < holdoutData.points; s += HOLDOUT_CHUNK) {
      const size = Math.min(HOLDOUT_CHUNK, holdoutData.points - s);
      const [a, b, c] = tf.tidy(() => {
        const l = lossOn(sliceBatch(heldT, s, size));
        return [l.total, l.value, l.jacobian].map((t) => t.dataSync()[0]!);
      });
      total += a! * size;
      value += b! * size;
      jac += c! * size;
    }
    const N = holdoutData.points;
    return { total: total / N, value: value / N, jacobian: jac / N };
  };

  const history: EpochInfo[] = [];
  let best = holdoutLoss().total;
  let bestEpoch = 0;
  let bestValues = snapshot(variables);
  const trainRows = Array.from({ length: trainData.points }, (_, k) => k);
  let epoch = 0;
  try {
    for (epoch = 1; epoch <= opts.epochs; epoch++) {
      shuffle(trainRows, random);
      let sum = 0;
      for (let s = 0; s < trainRows.length; s += opts.batchSize) {
        const rows = trainRows.slice(s, s + opts.batchSize);
        const cost = tf.tidy(() => {
          const batch = gatherBatch(trainT, rows);
          return optimizer.minimize(() => lossOn(batch).total, true, varList)!;
        });
        sum += cost.dataSync()[0]! * rows.length;
        cost.dispose();
      }
      const h = holdoutLoss();
      if (h.total < best) {
        best = h.total;
        bestEpoch = epoch;
        bestValues = snapshot(variables);
      }
      const info: EpochInfo = {
        epoch,
        epochs: opts.epochs,
        trainLoss: sum / trainRows.length,
        holdoutLoss: h.total,
        holdoutValueLoss: h.value,
        holdoutJacobianLoss: h.jacobian,
        bestEpoch,
        elapsedMs: performance.now() - t1,
      };
      history.push(info);
      opts.onEpoch?.(info);
      if (!Number.isFinite(h.total) || epoch - bestEpoch >= opts.patience) break;
    }
  } finally {
    optimizer.dispose();
    tf.dispose([...varList, weightT, ...Object.values(trainT), ...Object.values(heldT)]);
  }
  const epochsRun = Math.min(epoch, opts.epochs);
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
  const { onEpoch: _, ...resolved } = opts;
  return {
    onnx,
    stateDict,
    plan,
    options: resolved,
    epochsRun,
    bestEpoch,
    history,
    split: { train: trainData.points, holdout: holdoutData.points },
    before,
    after: afterMetrics,
    backend,
    timings: { prepareMs: t1 - t0, trainMs: t2 - t1, finishMs: t3 - t2, totalMs: t3 - t0 },
    trainableElements: plan.trainable.reduce((a, k) => a + plan.dict.get(k)!.data.length, 0),
  };
}

type Resolved = Required<Omit<RefitOptions, "onEpoch">> & Pick<RefitOptions, "onEpoch">;

function resolveOptions(options: RefitOptions): Resolved {
  const o = {
    lambda: options.lambda ?? 1,
    epochs: options.epochs ?? 200,
    batchSize: options.batchSize ?? 64,
    learningRate: options.learningRate ?? 1e-3,
    seed: options.seed ?? 0,
    holdout: options.holdout ?? 0.2,
    patience: options.patience ?? 20,
    entryFloor: options.entryFloor ?? 0.1,
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
  };
  const check = (name: string, ok: boolean, value: number, range: string) => {
    if (!ok) throw new RangeError(`Cannot refit: ${name} ${value} is not ${range}`);
  };
  check("lambda", o.lambda >= 0 && Number.isFinite(o.lambda), o.lambda, "a finite number ≥ 0");
  check("epochs", Number.isInteger(o.epochs) && o.epochs >= 1, o.epochs, "an integer ≥ 1");
  check(
    "batch size",
    Number.isInteger(o.batchSize) && o.batchSize >= 1,
    o.batchSize,
    "an integer ≥ 1",
  );
  check(
    "learning rate",
    o.learningRate > 0 && Number.isFinite(o.learningRate),
    o.learningRate,
    "a finite number > 0",
  );
  check(
    "seed",
    Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffffffff,
    o.seed,
    "an integer in [0, 4294967295]",
  );
  check("holdout", o.holdout > 0 && o.holdout < 1, o.holdout, "in (0, 1)");
  check("patience", Number.isInteger(o.patience) && o.patience >= 1, o.patience, "an integer ≥ 1");
  check(
    "entry floor",
    o.entryFloor > 0 && Number.isFinite(o.entryFloor),
    o.entryFloor,
    "a finite number > 0",
  );
  return o;
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

interface NormalizedArrays {
  x: Float32Array;
  y: Float32Array;
  jacobian: Float32Array | undefined;
}

function normalizedArrays(surrogate: Surrogate, data: RefitData): NormalizedArrays {
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
  return { x, y, jacobian };
}

/**
 * `w_ij = 1 / max(s_ij, floor · s̄_i)` with `s_ij = mean_k Jn_kij²`, `s̄_i = mean_j s_ij`;
 * all ones without Jacobian targets.
 */
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

interface Batch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  jacobian?: tf.Tensor3D;
}

function toTensors(a: NormalizedArrays, points: number, m: number, n: number): Batch {
  return {
    x: tf.tensor2d(a.x, [points, n]),
    y: tf.tensor2d(a.y, [points, m]),
    ...(a.jacobian ? { jacobian: tf.tensor3d(a.jacobian, [points, m, n]) } : {}),
  };
}

function gatherBatch(all: Batch, rows: readonly number[]): Batch {
  const index = tf.tensor1d(rows as number[], "int32");
  return {
    x: tf.gather(all.x, index),
    y: tf.gather(all.y, index),
    ...(all.jacobian ? { jacobian: tf.gather(all.jacobian, index) } : {}),
  };
}

function sliceBatch(all: Batch, start: number, size: number): Batch {
  return {
    x: tf.slice(all.x, [start, 0], [size, -1]),
    y: tf.slice(all.y, [start, 0], [size, -1]),
    ...(all.jacobian ? { jacobian: tf.slice(all.jacobian, [start, 0, 0], [size, -1, -1]) } : {}),
  };
}

function snapshot(variables: ReadonlyMap<string, tf.Variable>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [key, v] of variables) out.set(key, Float32Array.from(v.dataSync()));
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
