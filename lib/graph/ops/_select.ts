/**
 * Selection along one axis, `y[…, j, …] = x[…, map[j], …]` (zero where
 * `map[j] = -1`), with a gradient that needs no scatter kernel: tfjs's own
 * gradient of `gather` is an `UnsortedSegmentSum`, which the WebAssembly
 * backend lacks. The adjoint of a selection is a sum of selections: the
 * output positions that read the same source index are split by occurrence
 * (first, second, … reader), and each occurrence is an injective selection
 * back. Every selection is itself a `tf.customGrad`, so second and higher
 * derivatives stay selections too; all maps are planned on the host.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";

type Save = (tensors: tf.Tensor[]) => void;

/** True if `map` is `0, 1, …, size - 1`. */
function isIdentity(map: Int32Array, size: number): boolean {
  return map.length === size && map.every((m, j) => m === j);
}

/** The forward selection, exact (a gather; a zero slice appended when the map has -1). */
function gatherWithZeros(x: tf.Tensor, axis: number, map: Int32Array): tf.Tensor {
  const size = x.shape[axis]!;
  if (isIdentity(map, size)) return x;
  let src = x;
  if (map.some((m) => m < 0)) {
    const zeroShape = [...x.shape];
    zeroShape[axis] = 1;
    src = tf.concat([x, tf.zeros(zeroShape, x.dtype)], axis);
  }
  const idx = map.map((m) => (m < 0 ? size : m));
  return tf.gather(src, tf.tensor1d(idx, "int32"), axis);
}

/**
 * Maps of the adjoint: the r-th map sends each source index to the output
 * position of its r-th reader (or -1 when it has fewer readers).
 */
function adjointMaps(map: Int32Array, size: number): Int32Array[] {
  const seen = new Int32Array(size);
  const maps: Int32Array[] = [];
  map.forEach((m, j) => {
    if (m < 0) return;
    const r = seen[m]!++;
    maps[r] ??= new Int32Array(size).fill(-1);
    maps[r]![m] = j;
  });
  return maps;
}

/**
 * `x` with axis `axis` re-indexed by `map`: output position `j` holds source
 * index `map[j]`, or zero when `map[j]` is -1. Float tensors get a gradient
 * that is a sum of such selections (see the module doc); int and bool tensors
 * get none.
 *
 * @param x A tensor of rank at least `axis + 1`.
 * @param axis A non-negative axis of `x`.
 * @param map Source indices in `[0, x.shape[axis])`, or -1; its length is the output's size along `axis`.
 * @returns The selection, shape of `x` with `shape[axis] = map.length`.
 */
export function selectAlong(x: tf.Tensor, axis: number, map: Int32Array): tf.Tensor {
  const size = x.shape[axis]!;
  if (isIdentity(map, size)) return x;
  if (x.dtype !== "float32") return gatherWithZeros(x, axis, map);
  const op = tf.customGrad(
    ((t: tf.Tensor, _save: Save) => ({
      value: gatherWithZeros(t, axis, map),
      gradFunc: (dy: tf.Tensor) => {
        const parts = adjointMaps(map, size).map((m) => selectAlong(dy, axis, m));
        if (parts.length === 0) return tf.zeros(t.shape);
        return parts.length === 1 ? parts[0]! : tf.addN(parts);
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return op(x) as tf.Tensor;
}
