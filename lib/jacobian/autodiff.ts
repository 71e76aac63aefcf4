/**
 * Batched reverse-mode Jacobians of a TensorFlow.js function, and the
 * physical-units composition `x -> normalize -> f -> denormalize` whose
 * Jacobian autodiff takes directly (consistent scaling by construction).
 *
 * @module
 */
import { tf } from "../tf/backend.ts";
import { type AffineScaling, affineWidth, readAffineSide } from "./affine.ts";
import { defaultNames, type Jacobians } from "./types.ts";

/**
 * A differentiable batch function: `[B, n] -> [B, m]`, float32, built from tf ops.
 * Row `b` of the output must depend on row `b` of the input only (samples are
 * independent), which is what makes one backward pass per output give every
 * sample's Jacobian row at once.
 */
export type TfFunction = (x: tf.Tensor2D) => tf.Tensor2D;

/** Options of {@linkcode computeJacobian}. */
export interface ComputeJacobianOptions {
  /** Number of points `N`. */
  points: number;
  /** Input width `n`. */
  inputWidth: number;
  /**
   * Output names; their count must equal the output width `m` of `f`.
   * @default {["y1", …, "ym"]} with `m` read from `f`'s output
   */
  outputs?: readonly string[];
  /**
   * Input names, length `n`.
   * @default {["x1", …, "xn"]}
   */
  inputs?: readonly string[];
  /**
   * Points per backward pass; bounds memory at about `chunkSize` times the
   * activations of one sample.
   * @default {1024}
   */
  chunkSize?: number;
}

/**
 * Jacobians of `f` at `N` points by reverse-mode autodiff in float32.
 *
 * For each chunk of points, one forward pass, then for each output `i` one
 * backward pass of `sum_b y[b, i]` with respect to the whole chunk `x`, which
 * gives row `i` of every sample's Jacobian at once (samples are independent):
 * the cost is one forward and `m` backward passes per chunk, never a loop
 * over samples. The points are rounded
 * to float32 on the way in; the result is float32 values widened to float64.
 * Every tensor made here is disposed.
 *
 * @param f The function, `[B, n] -> [B, m]`.
 * @param x Points, shape `[N, n]` row-major, in the units `f` takes.
 * @param options Sizes, names, chunk size.
 * @returns Jacobians with shape `[N, m, n]`: `values[(k*m + i)*n + j] = ∂y_i/∂x_j` at point `k`.
 * @throws {TypeError} If `x` does not hold `N * n` values, or `f` returns a shape
 *   other than `[B, m]`.
 * @throws {RangeError} If `N`, `n` or `chunkSize` is not a positive integer, or a
 *   name list has the wrong length.
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "../tf/backend.ts";
 * import { computeJacobian } from "./autodiff.ts";
 * await initTf();
 * // f(x) = [x1 * x2]: the Jacobian at (2, 3) is [3, 2]
 * const f = (x: tf.Tensor2D) => tf.prod(x, 1, true) as tf.Tensor2D;
 * const jac = computeJacobian(f, new Float64Array([2, 3]), { points: 1, inputWidth: 2 });
 * if (jac.values[0] !== 3 || jac.values[1] !== 2) throw new Error("unexpected Jacobian");
 * ```
 */
export function computeJacobian(
  f: TfFunction,
  x: Float64Array,
  options: ComputeJacobianOptions,
): Jacobians {
  const { points, inputWidth: n, chunkSize = 1024 } = options;
  checkBatch(x, points, n, chunkSize);
  const inputs = options.inputs ?? defaultNames("x", n);
  if (inputs.length !== n) {
    throw new RangeError(
      `Cannot compute the Jacobian: ${inputs.length} input names for input width ${n}`,
    );
  }
  const m = batchedJacobian(points, n, options.outputs?.length, chunkSize, (start, count) => ({
    f,
    at: tf.tensor2d(Float32Array.from(x.subarray(start * n, (start + count) * n)), [count, n]),
  }));
  const outputs = options.outputs ?? defaultNames("y", m.width);
  return { points, outputs: [...outputs], inputs: [...inputs], values: m.values };
}

/** Checks the sizes shared by the Jacobian functions. */
function checkBatch(x: Float64Array, points: number, n: number, chunkSize: number): void {
  checkCount(points, "number of points", 0);
  checkCount(n, "input width", 1);
  checkCount(chunkSize, "chunk size", 1);
  if (x.length !== points * n) {
    throw new TypeError(
      `Cannot compute the Jacobian: ${x.length} input values do not fill [${points}, ${n}]`,
    );
  }
}

/** Both sides of a scaling as float64 `scale`/`offset` arrays. */
function readScaling(scaling: AffineScaling) {
  return {
    inSide: readAffineSide(scaling.inputs, { width: affineWidth(scaling.inputs), label: "inputs" }),
    outSide: readAffineSide(scaling.outputs, {
      width: affineWidth(scaling.outputs),
      label: "outputs",
    }),
  };
}

/**
 * The loop shared by the Jacobian functions: for each chunk of points,
 * `chunk(start, count)` gives the function and the tensor to differentiate it
 * at; `m` backward passes (one per output, over the whole chunk) give the
 * chunk's `[count, m, n]` block. Every tensor is disposed.
 */
function batchedJacobian(
  points: number,
  n: number,
  width: number | undefined,
  chunkSize: number,
  chunk: (start: number, count: number) => { f: TfFunction; at: tf.Tensor2D },
): { width: number; values: Float64Array } {
  let m = width;
  let values: Float64Array | undefined;
  for (let start = 0; start < points; start += chunkSize) {
    const count = Math.min(chunkSize, points - start);
    // The block leaves the tidy as a tensor: a typed array returned from tf.tidy
    // is walked element by element (~0.4 µs each) in search of tensors.
    const block = tf.tidy(() => {
      const { f, at } = chunk(start, count);
      m ??= outputWidthOf(f, at, n);
      const w = m;
      const seeds = Array.from({ length: w }, (_, i) => {
        // d(sum_b y[b, i]) / dx: seed dy = one-hot column i for every sample.
        const seed = new Float32Array(count * w);
        for (let b = 0; b < count; b++) seed[b * w + i] = 1;
        return tf.tensor2d(seed, [count, w]);
      });
      const blocks = vectorJacobianProducts((v) => checkedApply(f, v, w, n), at, seeds);
      // [count, m, n]: stack the per-output rows along axis 1.
      return tf.stack(blocks, 1);
    });
    const rows = block.dataSync() as Float32Array;
    block.dispose();
    values ??= new Float64Array(points * m! * n);
    values.set(rows, start * m! * n);
  }
  if (m === undefined) {
    throw new RangeError(
      "Cannot compute the Jacobian: with no points, the output names must be given",
    );
  }
  return { width: m, values: values ?? new Float64Array(0) };
}

/** The parts of tfjs's engine that `tf.grad` uses to record and replay a forward pass. */
interface TapeEngine {
  startTape(): void;
  endTape(): void;
  state: { activeTape: { saved?: tf.Tensor[] }[] | null; gradientDepth: number };
  gradients(
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
  ): { value: tf.Tensor; grads: tf.Tensor[] };
}

/**
 * `dyᵀ · ∂f/∂x` at `x` for every seed `dy`, with one forward pass: `f` runs
 * once while tfjs's tape records it, and each backward pass replays that
 * record (as `tf.grad` would, but `tf.grad` records the forward anew for every
 * seed). The tape is opened one level deeper than the backward passes, as in
 * a higher-order gradient, so tfjs keeps the forward's saved tensors between
 * them; they are disposed at the end. Relies on the engine's `startTape`,
 * `endTape` and `state` of tfjs 4.22 (pinned; the tests compare with
 * `tf.grad`). Call inside `tf.tidy`.
 */
function vectorJacobianProducts(
  f: (x: tf.Tensor2D) => tf.Tensor2D,
  x: tf.Tensor2D,
  seeds: readonly tf.Tensor2D[],
): tf.Tensor2D[] {
  const engine = tf.engine() as unknown as TapeEngine;
  const outermost = engine.state.gradientDepth === 0;
  engine.startTape();
  try {
    const y = f(x);
    return seeds.map((dy) => engine.gradients(() => y, [x], dy).grads[0] as tf.Tensor2D);
  } finally {
    engine.endTape();
    if (outermost) {
      for (const node of engine.state.activeTape ?? []) {
        for (const t of node.saved ?? []) t.dispose();
      }
      engine.state.activeTape = null;
    }
  }
}

/** Options of {@linkcode computePhysicalJacobian}. */
export interface ComputePhysicalJacobianOptions extends Omit<ComputeJacobianOptions, "inputWidth"> {
  /**
   * The points already normalized in float64, `[N, n]` (e.g. by the scaling's
   * own formula `(x - min) / (max - min)`), so the model sees exactly the
   * points another computation uses.
   * @default {scale · x + offset}
   */
  normalized?: Float64Array;
}

/**
 * Jacobians of the physical-units composition `x -> denormalize(f(normalize(x)))`
 * by reverse-mode autodiff through the whole composition, float32, batched as
 * {@linkcode computeJacobian}.
 *
 * The composition is differentiated at `δ = 0` in the form
 * `δ -> denormalize(f(x_n + scale_in · δ))`, where `x_n` are the points
 * normalized in float64 and rounded once to float32: the derivative with
 * respect to `δ` is the derivative with respect to the physical input, and the
 * model sees the same normalized points as a float64 reference does, without
 * the rounding of physical inputs that {@linkcode composePhysical} incurs.
 *
 * @param f The model in normalized units, `[B, n] -> [B, m]`.
 * @param x Points `[N, n]`, physical units, row-major.
 * @param scaling Input (width `n`) and output (width `m`) normalizations.
 * @param options Number of points, names, chunk size.
 * @returns Jacobians `[N, m, n]`, `∂y_i/∂x_j` in physical units.
 * @throws {TypeError} If `x` does not hold `N * n` values or `f` returns another width.
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "../tf/backend.ts";
 * import { computePhysicalJacobian } from "./autodiff.ts";
 * await initTf();
 * // y_n = x_n² with x_n = (x - 1000) / 2 and y = 10 y_n: dy/dx = 10 · 2 x_n / 2 = 5 at x = 1001
 * const jac = computePhysicalJacobian((x) => tf.square(x), new Float64Array([1001]), {
 *   inputs: [{ scale: 0.5, offset: -500 }],
 *   outputs: [{ scale: 0.1, offset: 0 }],
 * }, { points: 1 });
 * if (Math.abs(jac.values[0]! - 5) > 1e-5) throw new Error(`got ${jac.values[0]}`);
 * ```
 */
export function computePhysicalJacobian(
  f: TfFunction,
  x: Float64Array,
  scaling: AffineScaling,
  options: ComputePhysicalJacobianOptions,
): Jacobians {
  const { inSide, outSide } = readScaling(scaling);
  const n = inSide.scale.length;
  const m = outSide.scale.length;
  const { points, chunkSize = 1024 } = options;
  checkBatch(x, points, n, chunkSize);
  const xn = options.normalized ?? new Float64Array(x.length);
  if (xn.length !== x.length) {
    throw new TypeError(
      `Cannot compute the Jacobian: ${xn.length} normalized values for ${x.length} input values`,
    );
  }
  if (options.normalized === undefined) {
    for (let k = 0; k < x.length; k++) {
      const j = k % n;
      xn[k] = inSide.scale[j]! * x[k]! + inSide.offset[j]!;
    }
  }
  const result = batchedJacobian(points, n, m, chunkSize, (start, count) => {
    const base = tf.tensor2d(Float32Array.from(xn.subarray(start * n, (start + count) * n)), [
      count,
      n,
    ]);
    const scale = tf.tensor2d(Float32Array.from(inSide.scale), [1, n]);
    const outOffset = tf.tensor2d(Float32Array.from(outSide.offset), [1, m]);
    const outScale = tf.tensor2d(Float32Array.from(outSide.scale), [1, m]);
    const g: TfFunction = (delta) =>
      tf.div(
        tf.sub(f(tf.add(base, tf.mul(scale, delta)) as tf.Tensor2D), outOffset),
        outScale,
      ) as tf.Tensor2D;
    return { f: g, at: tf.zeros([count, n]) as tf.Tensor2D };
  });
  return {
    points,
    outputs: [...(options.outputs ?? defaultNames("y", m))],
    inputs: [...(options.inputs ?? defaultNames("x", n))],
    values: result.values,
  };
}

/**
 * The physical-units function `x -> denormalize(f(normalize(x)))` as tf ops, so
 * that autodiff of the result is the Jacobian in physical units with the
 * scaling applied consistently by construction:
 * `J_phys = diag(1 / scale_out) · J_norm · diag(scale_in)`.
 *
 * Both sides use the convention `normalized = scale * physical + offset`, so the
 * outputs are denormalized as `(y_n - offset) / scale`.
 *
 * Precision: the physical inputs and the affine maps are float32, so the
 * normalized point carries a rounding error of about `6e-8 · |x| / range` (in
 * normalized units); for an input far from zero compared with its range (say
 * `x ∈ [1000, 1001]`) prefer the chain rule on a Jacobian taken at points
 * normalized in float64 (`denormalizeJacobian` in `chain_rule.ts`).
 *
 * @param f The model in normalized units, `[B, n] -> [B, m]`.
 * @param scaling `inputs` (width `n`) and `outputs` (width `m`) normalizations.
 * @returns The model in physical units, `[B, n] -> [B, m]`.
 * @throws {RangeError} If a scale is zero or not finite, or an offset is not finite.
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "../tf/backend.ts";
 * import { composePhysical, computeJacobian } from "./autodiff.ts";
 * await initTf();
 * // y_n = 2 x_n with x_n = x / 4 and y_n = y / 8: y = 16 x / 4 = 4 x
 * const f = (x: tf.Tensor2D) => tf.mul(x, 2) as tf.Tensor2D;
 * const g = composePhysical(f, {
 *   inputs: { scale: [0.25], offset: [0] },
 *   outputs: { scale: [0.125], offset: [0] },
 * });
 * const jac = computeJacobian(g, new Float64Array([1]), { points: 1, inputWidth: 1 });
 * if (jac.values[0] !== 4) throw new Error("unexpected Jacobian");
 * ```
 */
export function composePhysical(f: TfFunction, scaling: AffineScaling): TfFunction {
  const { inSide, outSide } = readScaling(scaling);
  const n = inSide.scale.length;
  const m = outSide.scale.length;
  const inScale = Float32Array.from(inSide.scale);
  const inOffset = Float32Array.from(inSide.offset);
  const outOffset = Float32Array.from(outSide.offset);
  // Divide by the float32 of the scale itself (not multiply by a rounded reciprocal).
  const outScale = Float32Array.from(outSide.scale);
  return (x: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => {
      if (x.shape[1] !== n) {
        throw new TypeError(
          `Cannot apply the physical-units model: input has width ${
            x.shape[1]
          }, the scaling has ${n}`,
        );
      }
      const xn = tf.add(tf.mul(x, tf.tensor2d(inScale, [1, n])), tf.tensor2d(inOffset, [1, n]));
      const yn = f(xn as tf.Tensor2D);
      if (yn.shape[1] !== m) {
        throw new TypeError(
          `Cannot apply the physical-units model: output has width ${
            yn.shape[1]
          }, the scaling has ${m}`,
        );
      }
      return tf.div(tf.sub(yn, tf.tensor2d(outOffset, [1, m])), tf.tensor2d(outScale, [1, m]));
    });
}

function checkCount(value: number, what: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `Cannot compute the Jacobian: ${what} ${value} is not an integer ≥ ${min}`,
    );
  }
}

function outputWidthOf(f: TfFunction, xs: tf.Tensor2D, n: number): number {
  const y = f(xs.slice([0, 0], [1, n]));
  if (y.rank !== 2) {
    throw new TypeError(
      `Cannot compute the Jacobian: the function returned shape [${y.shape}], expected [B, m]`,
    );
  }
  return y.shape[1];
}

function checkedApply(f: TfFunction, x: tf.Tensor2D, m: number, n: number): tf.Tensor2D {
  const y = f(x);
  const [b] = x.shape;
  if (y.rank !== 2 || y.shape[0] !== b || y.shape[1] !== m) {
    throw new TypeError(
      `Cannot compute the Jacobian: the function maps [${b}, ${n}] to [${y.shape}], expected [${b}, ${m}]`,
    );
  }
  return y;
}
