/**
 * Matrix products that the wasm backend runs safely.
 *
 * @module
 */
import { tf } from "./backend.ts";

/** The shape each buffer was first multiplied under, keyed by the tensor's data id. */
const shapeOfBuffer = new WeakMap<object, string>();

/**
 * `tf.matMul`, except that no buffer reaches a product under two shapes.
 * tfjs-backend-wasm 4.22 keeps per-buffer state for its matrix products, and a
 * reshape shares its input's buffer: a weight used in products both as itself
 * and reshaped (`x @ w.reshape(n, h)` and `u @ w`) makes it read out of bounds
 * when the tensors are disposed. An operand whose buffer a product has already
 * seen under another shape is copied first (one elementwise pass over it;
 * usually a weight, so small). Gradients flow through the copy unchanged.
 *
 * @param a `[..., M, K]` (or `[..., K, M]` with `transposeA`).
 * @param b `[..., K, N]` (or `[..., N, K]` with `transposeB`).
 * @returns `[..., M, N]`, as `tf.matMul`.
 */
export function matMul<T extends tf.Tensor>(
  a: T | tf.TensorLike,
  b: T | tf.TensorLike,
  transposeA = false,
  transposeB = false,
): T {
  return tf.matMul(ownBuffer(a), ownBuffer(b), transposeA, transposeB) as T;
}

function ownBuffer<T extends tf.Tensor>(t: T | tf.TensorLike): T | tf.TensorLike {
  if (!(t instanceof tf.Tensor)) return t;
  const id = t.dataId as object;
  const key = t.shape.join(",");
  const seen = shapeOfBuffer.get(id);
  if (seen === undefined) {
    shapeOfBuffer.set(id, key);
    return t;
  }
  if (seen === key) return t;
  const copy = tf.add(t, tf.scalar(0, t.dtype)) as T;
  shapeOfBuffer.set(copy.dataId as object, key);
  return copy;
}
