/**
 * The training objective of a refit in TensorFlow.js: one variable per
 * trainable state_dict key, the graph's initializers recomputed from them, the
 * Sobolev loss on minibatches (for Adam) and on the whole training set with
 * its gradient as one float64 vector (for L-BFGS), and the model's values and
 * Jacobians at held-out points (for the metrics).
 *
 * @module
 */
import { type CompiledGraph, compileGraph } from "../graph/interpreter.ts";
import type { TfModel } from "../graph/tf_model.ts";
import { buildDerivativeModel } from "../onnx/derivative/mod.ts";
import type { OnnxModel } from "../onnx/model.ts";
import { tf } from "../tf/backend.ts";
import { initializerFromParameters } from "../weights/differentiable.ts";
import { batchedJacobian, type SobolevLoss, sobolevTerms } from "./loss.ts";
import type { TrainingPlan } from "./parameters.ts";

/** Points and targets in normalized units, row-major float32. */
export interface NormalizedSet {
  /** Number of points `N`. */
  readonly points: number;
  /** Inputs `[N, n]`. */
  readonly x: Float32Array;
  /** Target outputs `[N, m]`. */
  readonly y: Float32Array;
  /** Target Jacobians `[N, m, n]`, `∂yn_i/∂xn_j`. */
  readonly jacobian?: Float32Array;
}

/** A set of points as tensors. */
export interface TensorSet {
  readonly x: tf.Tensor2D;
  readonly y: tf.Tensor2D;
  readonly jacobian?: tf.Tensor3D;
}

/** The loss terms as numbers (means over the points). */
export interface LossParts {
  /** `value + λ · jacobian`. */
  readonly total: number;
  /** Value MSE. */
  readonly value: number;
  /** Weighted Jacobian MSE (before λ). */
  readonly jacobian: number;
}

/**
 * The model's forward-mode derivative graph `x → (y, ∂y/∂x)` compiled for
 * tfjs, normalized units: the Jacobian of a batch in one pass with the `n`
 * input directions on a leading tangent axis, whose gradient with respect to
 * the weights is a first-order reverse pass (instead of reverse mode over the
 * reverse-mode Jacobian).
 */
export interface JacobianGraph {
  readonly graph: CompiledGraph;
  readonly input: string;
  readonly output: string;
  readonly jacobian: string;
}

/**
 * Builds and compiles the derivative graph of `onnx` for the refit loss, or
 * says why it cannot be used: a fixed batch size (the graph runs in chunks), or
 * an op without a tangent rule or tfjs translation. The derivative graph keeps
 * the model's initializer names, so weights override it as they do the model.
 *
 * @param onnx The model (float32, normalized units).
 * @returns The compiled graph, or the reason it cannot be used.
 */
export async function compileJacobianGraph(
  onnx: OnnxModel,
): Promise<{ graph: JacobianGraph } | { reason: string }> {
  if (onnx.input.batch !== null) {
    return { reason: `the model runs in fixed batches of ${onnx.input.batch}` };
  }
  try {
    const dm = await buildDerivativeModel(onnx);
    const graph = compileGraph(dm.proto.graph ?? {}, { opset: onnx.opset, source: onnx.source });
    return { graph: { graph, input: dm.input, output: dm.output, jacobian: dm.jacobian } };
  } catch (e) {
    return { reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Options of {@linkcode RefitObjective}. */
export interface RefitObjectiveOptions {
  /** Weight λ of the Jacobian term. */
  lambda: number;
  /** Weight of each Jacobian entry's squared error, `[m·n]` row-major. */
  entryWeights: Float32Array;
  /** Points per tensor call when evaluating whole sets (bounds memory, not results). */
  chunk: number;
  /**
   * The model's derivative graph (see {@linkcode compileJacobianGraph}), owned
   * by the caller; without it Jacobians are taken by reverse mode through `model`.
   * @default {undefined}
   */
  jacobianGraph?: JacobianGraph;
}

/**
 * Variables, loss and gradients of a refit. Owns its tensors; call
 * {@linkcode RefitObjective.dispose}.
 */
export class RefitObjective {
  readonly #model: TfModel;
  readonly #plan: TrainingPlan;
  readonly #variables = new Map<string, tf.Variable>();
  readonly #weights: tf.Tensor2D;
  readonly #lambda: number;
  readonly #chunk: number;
  readonly #m: number;
  readonly #n: number;
  readonly #jacobianGraph: JacobianGraph | undefined;
  /** Total number of trainable elements. */
  readonly size: number;

  /**
   * @param model The tfjs rebuild of the graph.
   * @param plan What is trained; variables start from `plan.dict`.
   * @param options λ, entry weights and chunk size.
   */
  constructor(model: TfModel, plan: TrainingPlan, options: RefitObjectiveOptions) {
    this.#model = model;
    this.#plan = plan;
    this.#lambda = options.lambda;
    this.#chunk = options.chunk;
    this.#m = model.outputWidth;
    this.#n = model.inputWidth;
    this.#jacobianGraph = options.jacobianGraph;
    let size = 0;
    for (const key of plan.trainable) {
      const t = plan.dict.get(key)!;
      const values = Float32Array.from(t.data as ArrayLike<number>);
      size += values.length;
      this.#variables.set(key, tf.tidy(() => tf.variable(tf.tensor(values, [...t.shape]), true)));
    }
    this.size = size;
    this.#weights = tf.tensor2d(options.entryWeights, [this.#m, this.#n]);
  }

  /** The variables, in `plan.trainable` order. */
  get variables(): tf.Variable[] {
    return [...this.#variables.values()];
  }

  /** How Jacobians are computed: `"forward"` (the derivative graph) or `"reverse"`. */
  get jacobianMode(): "forward" | "reverse" {
    return this.#jacobianGraph ? "forward" : "reverse";
  }

  /** The model with the current variables, `[B, n] → [B, m]` (differentiable in them). */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.#model.apply(x, this.#overrides());
  }

  /**
   * The model's values `[B, m]` and Jacobians `[B, m, n]` with the current
   * variables, differentiable in them (inside `tf.tidy` or a gradient).
   */
  valuesAndJacobiansOf(x: tf.Tensor2D): { y: tf.Tensor2D; jacobian: tf.Tensor3D } {
    const jg = this.#jacobianGraph;
    if (!jg) {
      return { y: this.apply(x), jacobian: batchedJacobian((v) => this.apply(v), x, this.#m) };
    }
    const outputs = jg.graph.run(new Map([[jg.input, x]]), this.#overrides()) as tf.Tensor[];
    const at = (name: string) => outputs[jg.graph.outputNames.indexOf(name)]!;
    return { y: at(jg.output) as tf.Tensor2D, jacobian: at(jg.jacobian) as tf.Tensor3D };
  }

  /** The Sobolev loss on a batch (tensors; inside `tf.tidy` or `optimizer.minimize`). */
  loss(batch: TensorSet): SobolevLoss {
    const options = { lambda: this.#lambda, entryWeights: this.#weights };
    if (this.#lambda === 0) return sobolevTerms(this.apply(batch.x), undefined, batch, options);
    const { y, jacobian } = this.valuesAndJacobiansOf(batch.x);
    return sobolevTerms(y, () => jacobian, batch, options);
  }

  #overrides(): Map<string, tf.Tensor> {
    const overrides = new Map<string, tf.Tensor>();
    for (const name of this.#plan.initializers) {
      overrides.set(name, initializerFromParameters(this.#plan.map, name, this.#variables));
    }
    return overrides;
  }

  /** Every trainable element as one float64 vector, variables in plan order. */
  read(): Float64Array {
    const out = new Float64Array(this.size);
    let at = 0;
    for (const v of this.#variables.values()) {
      const data = v.dataSync();
      out.set(data, at);
      at += data.length;
    }
    return out;
  }

  /** Sets every variable from a vector laid out as {@linkcode RefitObjective.read}'s. */
  write(values: Float64Array): void {
    let at = 0;
    for (const v of this.#variables.values()) {
      const size = v.size;
      const slice = Float32Array.from(values.subarray(at, at + size));
      tf.tidy(() => v.assign(tf.tensor(slice, v.shape)));
      at += size;
    }
  }

  /** The current variables by key (copies). */
  snapshot(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [key, v] of this.#variables) out.set(key, Float32Array.from(v.dataSync()));
    return out;
  }

  /**
   * Mean loss over a whole set and its gradient with respect to every
   * variable, as one float64 vector (chunks summed on the host).
   */
  lossAndGradient(set: TensorSet): { parts: LossParts; gradient: Float64Array } {
    const N = set.x.shape[0];
    const gradient = new Float64Array(this.size);
    let total = 0, value = 0, jac = 0;
    const vars = this.variables;
    for (let s = 0; s < N; s += this.#chunk) {
      const size = Math.min(this.#chunk, N - s);
      const share = size / N;
      tf.tidy(() => {
        const batch = sliceSet(set, s, size);
        let kept: tf.Scalar[] = [];
        const { value: scaled, grads } = tf.variableGrads(() => {
          const parts = this.loss(batch);
          // variableGrads disposes what its function made, except its result: keep the terms.
          kept = [tf.keep(parts.value), tf.keep(parts.jacobian)];
          return tf.mul(parts.total, share) as tf.Scalar;
        }, vars);
        total += scaled.dataSync()[0]!;
        value += kept[0]!.dataSync()[0]! * share;
        jac += kept[1]!.dataSync()[0]! * share;
        tf.dispose(kept);
        let at = 0;
        for (const v of vars) {
          const g = grads[v.name]!.dataSync();
          for (let i = 0; i < g.length; i++) gradient[at + i]! += g[i]!;
          at += g.length;
        }
      });
    }
    return { parts: { total, value, jacobian: jac }, gradient };
  }

  /**
   * The model's normalized values `[N, m]` and Jacobians `[N, m, n]` at `x`
   * (`[N, n]` normalized), float32.
   */
  valuesAndJacobians(x: Float32Array): { y: Float32Array; jacobian: Float32Array } {
    const n = this.#n, m = this.#m;
    const N = x.length / n;
    const y = new Float32Array(N * m);
    const jacobian = new Float32Array(N * m * n);
    for (let s = 0; s < N; s += this.#chunk) {
      const size = Math.min(this.#chunk, N - s);
      tf.tidy(() => {
        const xs = tf.tensor2d(x.subarray(s * n, (s + size) * n), [size, n]);
        const at = this.valuesAndJacobiansOf(xs);
        y.set(at.y.dataSync(), s * m);
        jacobian.set(at.jacobian.dataSync(), s * m * n);
      });
    }
    return { y, jacobian };
  }

  /** Disposes the variables and the weights. */
  dispose(): void {
    tf.dispose([...this.#variables.values(), this.#weights]);
  }
}

/** Uploads a normalized set. */
export function toTensorSet(set: NormalizedSet, m: number, n: number): TensorSet {
  return {
    x: tf.tensor2d(set.x, [set.points, n]),
    y: tf.tensor2d(set.y, [set.points, m]),
    ...(set.jacobian ? { jacobian: tf.tensor3d(set.jacobian, [set.points, m, n]) } : {}),
  };
}

/** Rows `rows` of a set (new tensors). */
export function gatherSet(all: TensorSet, rows: readonly number[]): TensorSet {
  return tf.tidy(() => {
    const index = tf.tensor1d(rows as number[], "int32");
    return {
      x: tf.gather(all.x, index),
      y: tf.gather(all.y, index),
      ...(all.jacobian ? { jacobian: tf.gather(all.jacobian, index) } : {}),
    };
  });
}

/** Rows `[start, start + size)` of a set (new tensors). */
export function sliceSet(all: TensorSet, start: number, size: number): TensorSet {
  return {
    x: tf.slice(all.x, [start, 0], [size, -1]),
    y: tf.slice(all.y, [start, 0], [size, -1]),
    ...(all.jacobian ? { jacobian: tf.slice(all.jacobian, [start, 0, 0], [size, -1, -1]) } : {}),
  };
}

/** Disposes a set's tensors. */
export function disposeSet(set: TensorSet): void {
  tf.dispose([set.x, set.y, ...(set.jacobian ? [set.jacobian] : [])]);
}
