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
 * For each chunk of points and each output `i`, one backward pass of
 * `sum_b y[b, i]` with respect to the whole chunk `x` gives row `i` of every
 * sample's Jacobian at once (samples are independent), so the cost is `m`
 * backward passes per chunk, never a loop over samples. The points are rounded
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
  checkCount(points, "number of points", 0);
  checkCount(n, "input width", 1);
  checkCount(chunkSize, "chunk size", 1);
  if (x.length !== points * n) {
    throw new TypeError(
      `Cannot compute the Jacobian: ${x.length} input values do not fill [${points}, ${n}]`,
    );
  }
  const inputs = options.inputs ?? defaultNames("x", n);
  if (inputs.length !== n) {
    throw new RangeError(
      `Cannot compute the Jacobian: ${inputs.length} input names for input width ${n}`,
    );
  }
  let m = options.outputs?.length;
  let values: Float64Array | undefined;
  for (let start = 0; start < points; start += chunkSize) {
    const count = Math.min(chunkSize, points - start);
    const rows = tf.tidy(() => {
      const xs = tf.tensor2d(Float32Array.from(x.subarray(start * n, (start + count) * n)), [
        count,
        n,
      ]);
      m ??= outputWidthOf(f, xs, n);
      const width = m;
      const grad = tf.grad((v: tf.Tensor) => checkedApply(f, v as tf.Tensor2D, width, n));
      const blocks: tf.Tensor2D[] = [];
      for (let i = 0; i < width; i++) {
        // d(sum_b y[b, i]) / dx: seed dy = one-hot column i for every sample.
        const seed = new Float32Array(count * width);
        for (let b = 0; b < count; b++) seed[b * width + i] = 1;
        const dy = tf.tensor2d(seed, [count, width]);
        blocks.push(grad(xs, dy) as tf.Tensor2D);
      }
      // [count, m, n]: stack the per-output rows along axis 1.
      return tf.stack(blocks, 1).dataSync() as Float32Array;
    });
    values ??= new Float64Array(points * m! * n);
    values.set(rows, start * m! * n);
  }
  if (m === undefined) {
    throw new RangeError(
      "Cannot compute the Jacobian: with no points, the output names must be given",
    );
  }
  const outputs = options.outputs ?? defaultNames("y", m);
  return {
    points,
    outputs: [...outputs],
    inputs: [...inputs],
    values: values ?? new Float64Array(0),
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
  const inSide = readAffineSide(scaling.inputs, {
    width: affineWidth(scaling.inputs),
    label: "inputs",
  });
  const outSide = readAffineSide(scaling.outputs, {
    width: affineWidth(scaling.outputs),
    label: "outputs",
  });
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
