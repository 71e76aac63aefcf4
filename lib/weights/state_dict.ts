/**
 * The in-memory form of a PyTorch `state_dict`: named tensors with a shape, a
 * dtype and their values in row-major (C) order, plus the errors the weight
 * readers and the weight mapping raise.
 *
 * @module
 */

/** Element types a state_dict tensor may have (PyTorch's names). */
export type StateDtype =
  | "float32"
  | "float64"
  | "float16"
  | "bfloat16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

/**
 * One tensor of a state_dict, contiguous, row-major.
 *
 * `data` has `shape.reduce((a, b) => a * b, 1)` elements. Its array type follows
 * `dtype`: `Float32Array` for float32 and also for float16 / bfloat16 (whose values
 * widen exactly to float32), `Float64Array` for float64, `BigInt64Array` for int64,
 * `Int32Array`, `Int16Array`, `Int8Array`, `Uint8Array` for int32, int16, int8, uint8,
 * and `Uint8Array` holding 0 / 1 for bool.
 */
export interface StateTensor {
  /** Dimensions, outermost first; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Element type as stored in the file. */
  readonly dtype: StateDtype;
  /** Values, row-major. */
  readonly data:
    | Float32Array
    | Float64Array
    | BigInt64Array
    | Int32Array
    | Int16Array
    | Int8Array
    | Uint8Array;
}

/** A state_dict: key → tensor. Iteration order is the order of the file. */
export type StateDict = ReadonlyMap<string, StateTensor>;

/**
 * A pickle asked for a Python global that is not on the allow-list of names
 * `torch.save` uses to rebuild tensors. The global is never looked up or called.
 */
export class UnsafePickleError extends Error {
  /** The refused global as `module.name`, e.g. `"posix.system"` or `"builtins.eval"`. */
  readonly global: string;

  /**
   * @param message One-line message naming the file and the global.
   * @param global The refused global as `module.name`.
   */
  constructor(message: string, global: string) {
    super(message);
    this.name = "UnsafePickleError";
    this.global = global;
  }
}

/** A state_dict key that cannot be mapped onto (or applied to) an ONNX graph. */
export class WeightMappingError extends Error {
  /** The state_dict key (or initializer name) the error is about. */
  readonly key: string;

  /**
   * @param message One-line message naming the key and what is wrong.
   * @param key The state_dict key or initializer name.
   */
  constructor(message: string, key: string) {
    super(message);
    this.name = "WeightMappingError";
    this.key = key;
  }
}

/** Bytes per element of each dtype as stored in a file. */
export const DTYPE_BYTES: Readonly<Record<StateDtype, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Number of elements of a tensor of shape `shape` (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `shape` as text for messages, e.g. `[30, 4]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Values of a tensor as float64 (int64 values beyond 2^53 round).
 *
 * @example Usage
 * ```ts
 * import { toFloat64 } from "./state_dict.ts";
 * const v = toFloat64({ shape: [2], dtype: "int64", data: new BigInt64Array([3n, -4n]) });
 * if (v[0] !== 3 || v[1] !== -4) throw new Error("wrong values");
 * ```
 */
export function toFloat64(tensor: StateTensor): Float64Array {
  const { data } = tensor;
  if (data instanceof BigInt64Array) {
    const out = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
    return out;
  }
  return Float64Array.from(data);
}

/**
 * Decodes `count` little-endian elements of `dtype` starting at `bytes[0]`
 * into the array type documented on {@linkcode StateTensor}.
 *
 * @throws {RangeError} If `bytes` holds fewer than `count` elements.
 */
export function decodeElements(
  bytes: Uint8Array,
  dtype: StateDtype,
  count: number,
): StateTensor["data"] {
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength < count * size) {
    throw new RangeError(
      `Cannot decode ${count} ${dtype} values: only ${bytes.byteLength} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * size);
  switch (dtype) {
    case "float32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case "float64": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case "float16": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case "bfloat16": {
      const out = new Float32Array(count);
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        word.setUint32(0, view.getUint16(2 * i, true) << 16);
        out[i] = word.getFloat32(0);
      }
      return out;
    }
    case "int64": {
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getBigInt64(8 * i, true);
      return out;
    }
    case "int32": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case "int16": {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
      return out;
    }
    case "int8":
      return new Int8Array(bytes.slice(0, count).buffer);
    case "uint8":
      return bytes.slice(0, count);
    case "bool": {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = bytes[i]! === 0 ? 0 : 1;
      return out;
    }
  }
}

/**
 * Encodes a tensor's values as little-endian bytes of its dtype (the inverse of
 * {@linkcode decodeElements}; float16 / bfloat16 round to nearest, ties to even).
 */
export function encodeElements(tensor: StateTensor): Uint8Array {
  const { dtype, data } = tensor;
  const count = data.length;
  const out = new Uint8Array(count * DTYPE_BYTES[dtype]);
  const view = new DataView(out.buffer);
  switch (dtype) {
    case "float32":
      for (let i = 0; i < count; i++) view.setFloat32(4 * i, Number(data[i]!), true);
      break;
    case "float64":
      for (let i = 0; i < count; i++) view.setFloat64(8 * i, Number(data[i]!), true);
      break;
    case "float16":
      for (let i = 0; i < count; i++) view.setUint16(2 * i, floatToHalf(Number(data[i]!)), true);
      break;
    case "bfloat16":
      for (let i = 0; i < count; i++) {
        view.setUint16(2 * i, floatToBfloat16(Number(data[i]!)), true);
      }
      break;
    case "int64":
      for (let i = 0; i < count; i++) view.setBigInt64(8 * i, BigInt(data[i]!), true);
      break;
    case "int32":
      for (let i = 0; i < count; i++) view.setInt32(4 * i, Number(data[i]!), true);
      break;
    case "int16":
      for (let i = 0; i < count; i++) view.setInt16(2 * i, Number(data[i]!), true);
      break;
    case "int8":
      for (let i = 0; i < count; i++) view.setInt8(i, Number(data[i]!));
      break;
    case "uint8":
      for (let i = 0; i < count; i++) view.setUint8(i, Number(data[i]!));
      break;
    case "bool":
      for (let i = 0; i < count; i++) view.setUint8(i, Number(data[i]!) === 0 ? 0 : 1);
      break;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function floatToHalf(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a === 0) return sign;
  if (a >= 65520) return sign | 0x7c00; // rounds past the largest half, 65504
  if (a < 2 ** -14) {
    // Subnormal: units of 2^-24, round half to even.
    return sign | roundHalfEven(a * 2 ** 24);
  }
  let exponent = Math.floor(Math.log2(a));
  if (2 ** exponent > a) exponent--;
  if (2 ** (exponent + 1) <= a) exponent++;
  let mantissa = roundHalfEven((a / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | mantissa;
}

function floatToBfloat16(value: number): number {
  const word = new DataView(new ArrayBuffer(4));
  word.setFloat32(0, value);
  const bits = word.getUint32(0);
  if (Number.isNaN(value)) return 0x7fc0;
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
