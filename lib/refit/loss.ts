/**
 * The gradient-enhanced (Sobolev) training loss in normalized units: value
 * MSE plus λ times a weighted MSE of the model Jacobian `∂yn/∂xn`, computed by
 * batched reverse mode inside the loss so an outer gradient can reach the weights.
 *
 * @module
 */
import { tf } from "../tf/backend.ts";

/** A minibatch in normalized units (float32 tensors, not disposed by the loss). */
export interface SobolevBatch {
  /** Inputs `[B, n]`. */
  readonly x: tf.Tensor2D;
  /** Target outputs `[B, m]`. */
  readonly y: tf.Tensor2D;
  /** Target Jacobians `[B, m, n]`, `∂yn_i/∂xn_j`; needed when λ > 0. */
  readonly jacobian?: tf.Tensor3D;
}

/** Options of {@linkcode sobolevLoss}. */
export interface SobolevLossOptions {
  /** Weight λ of the Jacobian term; 0 is plain value training. */
  lambda: number;
  /**
   * Weight of each Jacobian entry's squared error, `[m, n]`.
   * @default {all ones}
   */
  entryWeights?: tf.Tensor2D;
}

/** The loss and its two terms (scalars; the caller disposes them). */
export interface SobolevLoss {
  /** `value + λ · jacobian`. */
  readonly total: tf.Scalar;
  /** `mean_{k,i} (yn_ki − t_ki)²`. */
  readonly value: tf.Scalar;
  /** `mean_{k,i,j} w_ij (Jn_kij − T_kij)²`; 0 when λ = 0 (not computed). */
  readonly jacobian: tf.Scalar;
}

/**
 * The Sobolev loss of a model on a minibatch:
 * `L = mean_{k,i} (f(x)_ki − y_ki)² + λ · mean_{k,i,j} w_ij (∂f_i/∂x_j(x_k) − J_kij)²`.
 *
 * The Jacobian is {@linkcode batchedJacobian} (exact reverse mode in one
 * backward pass), taken inside the loss, so the loss stays differentiable with
 * respect to any variable `f` uses (second-order reverse mode). `f` must be
 * differentiable twice: the graphs of `buildTfModel` are (their Sigmoid, Exp,
 * Tanh, … are written so that tfjs differentiates their gradients correctly;
 * see `lib/graph/ops/_smooth.ts`). Float32.
 *
 * @param f The model, `[B, n] → [B, m]`, normalized units.
 * @param batch The minibatch.
 * @param options λ and the entry weights.
 * @returns The loss terms (new tensors).
 * @throws {TypeError} If λ > 0 and the batch has no Jacobian targets, or shapes disagree.
 * @throws {RangeError} If λ is negative or not finite.
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "../tf/backend.ts";
 * import { sobolevLoss } from "./loss.ts";
 * await initTf();
 * // f(x) = 2x against targets y = x (value error x²) and dy/dx = 1 (Jacobian error 1)
 * const total = tf.tidy(() => {
 *   const x = tf.tensor2d([[1], [3]]);
 *   const loss = sobolevLoss((v) => tf.mul(v, 2), {
 *     x, y: x, jacobian: tf.ones([2, 1, 1]) as tf.Tensor3D,
 *   }, { lambda: 0.5 });
 *   return loss.total.dataSync()[0];
 * });
 * if (total !== (1 + 9) / 2 + 0.5 * 1) throw new Error(`loss ${total}`);
 * ```
 */
export function sobolevLoss(
  f: (x: tf.Tensor2D) => tf.Tensor2D,
  batch: SobolevBatch,
  options: SobolevLossOptions,
): SobolevLoss {
  const { lambda, entryWeights } = options;
  return tf.tidy(() => {
    const y = f(batch.x);
    const m = y.shape[1];
    const terms = sobolevTerms(
      y,
      lambda > 0 ? () => batchedJacobian(f, batch.x, m) : undefined,
      batch,
      {
        lambda,
        ...(entryWeights ? { entryWeights } : {}),
      },
    );
    return { total: terms.total, value: terms.value, jacobian: terms.jacobian };
  }) as SobolevLoss;
}

/**
 * The Sobolev loss from a model's values `y` `[B, m]` and, when λ > 0, its
 * Jacobians (made on demand by `jacobian`, `[B, m, n]`), whichever way they
 * were computed: the terms of {@linkcode sobolevLoss}. Float32.
 *
 * @param y The model's values at `batch.x`.
 * @param jacobian Makes the model's Jacobians at `batch.x`; needed when λ > 0.
 * @param batch The minibatch.
 * @param options λ and the entry weights.
 * @returns The loss terms (new tensors).
 * @throws {TypeError} If shapes disagree, or λ > 0 without Jacobian targets or `jacobian`.
 * @throws {RangeError} If λ is negative or not finite.
 */
export function sobolevTerms(
  y: tf.Tensor2D,
  jacobian: (() => tf.Tensor3D) | undefined,
  batch: SobolevBatch,
  options: SobolevLossOptions,
): SobolevLoss {
  const { lambda, entryWeights } = options;
  if (!(lambda >= 0) || !Number.isFinite(lambda)) {
    throw new RangeError(`Cannot compute the loss: λ ${lambda} is not a finite number ≥ 0`);
  }
  const [B, n] = batch.x.shape;
  return tf.tidy(() => {
    if (y.shape[0] !== B || y.shape[1] !== batch.y.shape[1]) {
      throw new TypeError(
        `Cannot compute the loss: the model gives [${y.shape.join(", ")}], the targets are [${
          batch.y.shape.join(", ")
        }]`,
      );
    }
    const m = y.shape[1];
    const value = tf.mean(tf.square(tf.sub(y, batch.y))) as tf.Scalar;
    if (lambda === 0) return { total: value, value, jacobian: tf.scalar(0) };
    const target = batch.jacobian;
    if (!target || !jacobian) {
      throw new TypeError("Cannot compute the loss: λ > 0 needs Jacobian targets");
    }
    if (target.shape[0] !== B || target.shape[1] !== m || target.shape[2] !== n) {
      throw new TypeError(
        `Cannot compute the loss: Jacobian targets have shape [${
          target.shape.join(", ")
        }], expected [${B}, ${m}, ${n}]`,
      );
    }
    const jac = jacobian();
    if (jac.shape[0] !== B || jac.shape[1] !== m || jac.shape[2] !== n) {
      throw new TypeError(
        `Cannot compute the loss: the model's Jacobians have shape [${
          jac.shape.join(", ")
        }], expected [${B}, ${m}, ${n}]`,
      );
    }
    let sq = tf.square(tf.sub(jac, target));
    if (entryWeights) sq = tf.mul(sq, entryWeights);
    const jacobianTerm = tf.mean(sq) as tf.Scalar;
    return {
      total: tf.add(value, tf.mul(jacobianTerm, lambda)) as tf.Scalar,
      value,
      jacobian: jacobianTerm,
    };
  });
}

/**
 * The Jacobians `∂f_i/∂x_j` of a model at a batch of independent points, by
 * reverse mode in one backward pass: the batch is tiled `m` times (`[m·B, n]`),
 * block `i` selects output `i`, and the gradient of the masked sum with respect
 * to the tiled input is the batch of rows `∂f_i/∂x` (samples are independent,
 * so this equals `m` separate passes). Taken with `tf.grad`, so the result is
 * itself differentiable with respect to any variable `f` uses. Float32.
 *
 * @param f The model, `[B, n] → [B, m]`.
 * @param x Points `[B, n]`.
 * @param m Output width of `f`.
 * @returns `J` `[B, m, n]` (a new tensor).
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "../tf/backend.ts";
 * import { batchedJacobian } from "./loss.ts";
 * await initTf();
 * // f(x) = (x1·x2, x1 + x2) at (2, 3): J = [[3, 2], [1, 1]]
 * const f = (x: tf.Tensor2D) =>
 *   tf.stack([tf.prod(x, 1), tf.sum(x, 1)], 1) as tf.Tensor2D;
 * const j = tf.tidy(() => Array.from(batchedJacobian(f, tf.tensor2d([[2, 3]]), 2).dataSync()));
 * if (j.join() !== "3,2,1,1") throw new Error(`J = ${j}`);
 * ```
 */
export function batchedJacobian(
  f: (x: tf.Tensor2D) => tf.Tensor2D,
  x: tf.Tensor2D,
  m: number,
): tf.Tensor3D {
  const [B, n] = x.shape;
  return tf.tidy(() => {
    const tiled = tf.tile(x, [m, 1]);
    // mask[i·B + k, c] = 1 when c = i: block i of the tiled batch selects output i.
    const maskValues = new Float32Array(m * B * m);
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < B; k++) maskValues[(i * B + k) * m + i] = 1;
    }
    const mask = tf.tensor2d(maskValues, [m * B, m]);
    const rows = tf.grad((xt: tf.Tensor) => tf.sum(tf.mul(f(xt as tf.Tensor2D), mask)))(tiled);
    // [m·B, n] → [m, B, n] → [B, m, n]
    return tf.transpose(tf.reshape(rows, [m, B, n]), [1, 0, 2]) as tf.Tensor3D;
  });
}
