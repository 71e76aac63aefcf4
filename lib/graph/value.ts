/**
 * Values flowing through the rebuilt graph. Float values that depend on the
 * model input or on float initializers are tfjs tensors (float32, on the
 * differentiated path); values computed only from shapes and constants are
 * {@linkcode HostValue}s: small row-major arrays on the host, so shape
 * arithmetic never enters the gradient tape. Host helpers below implement
 * ONNX (numpy) broadcasting and strided indexing.
 *
 * @module
 */
import { tf } from "../tf/backend.ts";
import { DataType, type HostTensor } from "../onnx/tensor.ts";

/** Element kind of a value: ONNX float/double, any integer type, or bool. */
export type ElementKind = "float" | "int" | "bool";

/** A value held on the host, row-major; ints and bools are stored as doubles (bools as 0/1). */
export interface HostValue {
  readonly kind: ElementKind;
  readonly dims: readonly number[];
  readonly data: Float64Array;
}

/** A graph value: a tfjs tensor or a host value. */
export type Value = tf.Tensor | HostValue;

/** True if `v` is a host value. */
export function isHost(v: Value): v is HostValue {
  return !(v instanceof tf.Tensor);
}

/** Builds a host value, checking the element count. */
export function hostValue(
  kind: ElementKind,
  dims: readonly number[],
  data: Float64Array | readonly number[],
): HostValue {
  const d = data instanceof Float64Array ? data : Float64Array.from(data);
  if (d.length !== sizeOf(dims)) {
    throw new RangeError(
      `Cannot make a value: ${d.length} elements for dims [${dims.join(", ")}]`,
    );
  }
  return { kind, dims: [...dims], data: d };
}

/** Element kind of an ONNX data type code. */
export function kindOfDataType(code: number): ElementKind {
  if (code === DataType.FLOAT || code === DataType.DOUBLE || code === DataType.FLOAT16) {
    return "float";
  }
  return code === DataType.BOOL ? "bool" : "int";
}

/** A decoded ONNX tensor as a host value. */
export function hostFromTensor(t: HostTensor): HostValue {
  const src = t.data;
  const data = new Float64Array(src.length);
  for (let i = 0; i < src.length; i++) data[i] = Number(src[i]);
  return { kind: kindOfDataType(t.dataType), dims: [...t.dims], data };
}

/** Element kind of a tensor or host value. */
export function kindOf(v: Value): ElementKind {
  if (isHost(v)) return v.kind;
  return v.dtype === "bool" ? "bool" : v.dtype === "int32" ? "int" : "float";
}

/** Dims of a tensor or host value. */
export function dimsOf(v: Value): readonly number[] {
  return isHost(v) ? v.dims : v.shape;
}

/** Converts a value to a tensor (float -> float32, int -> int32, bool -> bool). */
export function toTensor(v: Value): tf.Tensor {
  if (!isHost(v)) return v;
  const dims = [...v.dims];
  if (v.kind === "float") return tf.tensor(Float32Array.from(v.data), dims, "float32");
  if (v.kind === "int") return tf.tensor(Int32Array.from(v.data), dims, "int32");
  return tf.tensor(Uint8Array.from(v.data), dims, "bool");
}

/** Reads a value onto the host (synchronously for a tensor). */
export function toHost(v: Value): HostValue {
  if (isHost(v)) return v;
  const kind = kindOf(v);
  const data = Float64Array.from(v.dataSync());
  if (kind === "bool") { for (let i = 0; i < data.length; i++) data[i] = data[i] !== 0 ? 1 : 0; }
  return { kind, dims: [...v.shape], data };
}

/** Number of elements for dims (1 for a scalar). */
export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major strides of dims. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/**
 * ONNX (numpy) multidirectional broadcast of shapes.
 *
 * @throws {RangeError} If two dims differ and neither is 1.
 */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    const offset = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!;
      const o = out[offset + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) out[offset + i] = d;
      else {
        throw new RangeError(
          `Cannot broadcast shapes ${shapes.map((x) => `[${x.join(", ")}]`).join(" and ")}`,
        );
      }
    }
  }
  return out;
}

/**
 * Index map from an output of shape `outDims` to a broadcast input of shape `inDims`:
 * `result[k]` is the input offset of output element `k`.
 */
export function broadcastIndex(inDims: readonly number[], outDims: readonly number[]): Int32Array {
  const n = sizeOf(outDims);
  const rank = outDims.length;
  const offset = rank - inDims.length;
  const inStrides = stridesOf(inDims);
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < inDims.length; i++) eff[offset + i] = inDims[i] === 1 ? 0 : inStrides[i]!;
  const idx = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let pos = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = pos;
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]!++;
      pos += eff[a]!;
      if (counter[a]! < outDims[a]!) break;
      pos -= eff[a]! * counter[a]!;
      counter[a] = 0;
    }
  }
  return idx;
}

/** Elementwise map over broadcast host values. */
export function hostMap(
  inputs: readonly HostValue[],
  kind: ElementKind,
  fn: (...xs: number[]) => number,
): HostValue {
  const dims = broadcastShapes(...inputs.map((v) => v.dims));
  const n = sizeOf(dims);
  const maps = inputs.map((v) => broadcastIndex(v.dims, dims));
  const out = new Float64Array(n);
  const args = new Array<number>(inputs.length);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < inputs.length; j++) args[j] = inputs[j]!.data[maps[j]![k]!]!;
    out[k] = fn(...args);
  }
  return { kind, dims, data: out };
}

/** Normalizes a possibly negative axis for a rank, naming the node on error. */
export function normalizeAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) {
    throw new RangeError(`${where}: axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** Gathers elements of a host value by a flat list of source offsets. */
export function hostTake(
  v: HostValue,
  dims: readonly number[],
  offsets: ArrayLike<number>,
): HostValue {
  const out = new Float64Array(offsets.length);
  for (let i = 0; i < offsets.length; i++) out[i] = v.data[offsets[i]!]!;
  return { kind: v.kind, dims: [...dims], data: out };
}

/** Source offsets of a transpose: output element k comes from input offset result[k]. */
export function transposeOffsets(dims: readonly number[], perm: readonly number[]): Int32Array {
  const outDims = perm.map((p) => dims[p]!);
  const inStrides = stridesOf(dims);
  return stridedOffsets(outDims, perm.map((p) => inStrides[p]!), 0);
}

/** Offsets `base + sum_i counter_i * strides_i` over an index space of `dims`, row-major. */
export function stridedOffsets(
  dims: readonly number[],
  strides: readonly number[],
  base: number,
): Int32Array {
  const n = sizeOf(dims);
  const rank = dims.length;
  const out = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let pos = base;
  for (let k = 0; k < n; k++) {
    out[k] = pos;
    for (let a = rank - 1; a >= 0; a--) {
      counter[a]!++;
      pos += strides[a]!;
      if (counter[a]! < dims[a]!) break;
      pos -= strides[a]! * counter[a]!;
      counter[a] = 0;
    }
  }
  return out;
}

/**
 * Broadcasts a tensor to `dims` (which must be a broadcast of its shape) by
 * adding zeros: exact for every value (NaN, ±Infinity included, -0 becomes +0),
 * and much faster than `tf.broadcastTo` (a Tile) or the broadcasting paths of
 * the wasm comparison kernels. Bool tensors go through a float 0/1 copy.
 */
export function expandTo(t: tf.Tensor, dims: readonly number[]): tf.Tensor {
  if (t.rank === dims.length && t.shape.every((d, i) => d === dims[i])) return t;
  if (t.dtype === "bool") {
    return tf.notEqual(tf.add(tf.cast(t, "float32"), tf.zeros([...dims])), tf.scalar(0));
  }
  return tf.add(t, tf.zeros([...dims], t.dtype));
}

/**
 * Runs `fn` on tensors with a zero gradient for every input: for ops with
 * bool or integer outputs (comparisons, logical ops, casts to int), which tfjs
 * has no gradient for, so the tape never needs one.
 */
export function withoutGradient(
  fn: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: readonly tf.Tensor[],
): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
    const ts = args.slice(0, xs.length) as tf.Tensor[];
    return {
      value: fn(...ts),
      gradFunc: () => ts.map((t) => tf.zeros(t.shape, "float32")),
    };
  });
  return (f as unknown as (...ts: tf.Tensor[]) => tf.Tensor)(...xs);
}
