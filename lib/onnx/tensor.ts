/**
 * ONNX `TensorProto` values on the host: decoding (typed fields or
 * little-endian `raw_data`) into typed arrays and encoding back.
 *
 * @module
 */
import type onnxProto from "onnx-proto";

/** Typed arrays a host tensor may hold. */
export type OnnxDataArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/**
 * A tensor held on the host: dims, ONNX `TensorProto.DataType` code, and its
 * values, row-major (bool and uint8 as `Uint8Array`, int8/int16/uint16/int32 as
 * `Int32Array`, int64 as `BigInt64Array`).
 */
export interface HostTensor {
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly data: OnnxDataArray;
}

/** ONNX `TensorProto.DataType` codes used by the toolkit. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

const TYPE_NAMES: Record<number, string> = {
  0: "undefined",
  1: "float",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "double",
  12: "uint32",
  13: "uint64",
  14: "complex64",
  15: "complex128",
  16: "bfloat16",
};

/** Name of an ONNX data type code, e.g. `1` -> `"float"`. */
export function dataTypeName(code: number): string {
  return TYPE_NAMES[code] ?? `type ${code}`;
}

/** True for the float and double codes. */
export function isFloatType(code: number): boolean {
  return code === DataType.FLOAT || code === DataType.DOUBLE;
}

/** A protobuf int64 (number or `Long`) as a JavaScript number. */
export function toInt(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? value : value.toNumber();
}

/** Number of elements of a tensor with these dims (1 for a scalar). */
export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * Decodes a `TensorProto` into a {@linkcode HostTensor}.
 *
 * @param t The tensor proto.
 * @param where Used in messages, e.g. `model.onnx: initializer "w"`.
 * @throws {TypeError} For an unsupported data type, external data, or a value
 *   count that does not match the dims.
 */
export function decodeTensorProto(t: onnxProto.onnx.ITensorProto, where: string): HostTensor {
  const dims = (t.dims ?? []).map(toInt);
  const dataType = t.dataType ?? 0;
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new TypeError(`Cannot read ${where}: dims [${dims.join(", ")}] are not sizes`);
  }
  const n = sizeOf(dims);
  checkAvailable(t, dataType, n, where);
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0) {
    throw new TypeError(`Cannot read ${where}: tensors stored as external data are not supported`);
  }
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  let data: OnnxDataArray;
  let width = 0;
  switch (dataType) {
    case DataType.FLOAT:
      width = 4;
      data = new Float32Array(n);
      if (view) readRaw(view, n, width, where, (i, o) => (data[i] = view.getFloat32(o, true)));
      else fillFrom(data, t.floatData ?? [], where);
      break;
    case DataType.DOUBLE:
      width = 8;
      data = new Float64Array(n);
      if (view) readRaw(view, n, width, where, (i, o) => (data[i] = view.getFloat64(o, true)));
      else fillFrom(data, t.doubleData ?? [], where);
      break;
    case DataType.INT32:
    case DataType.INT16:
    case DataType.INT8:
    case DataType.UINT16: {
      width = dataType === DataType.INT32 ? 4 : dataType === DataType.INT8 ? 1 : 2;
      const out = new Int32Array(n);
      data = out;
      if (view) {
        readRaw(view, n, width, where, (i, o) => {
          out[i] = dataType === DataType.INT32
            ? view.getInt32(o, true)
            : dataType === DataType.INT16
            ? view.getInt16(o, true)
            : dataType === DataType.UINT16
            ? view.getUint16(o, true)
            : view.getInt8(o);
        });
      } else fillFrom(out, t.int32Data ?? [], where);
      break;
    }
    case DataType.INT64: {
      width = 8;
      const out = new BigInt64Array(n);
      data = out;
      if (view) readRaw(view, n, width, where, (i, o) => (out[i] = view.getBigInt64(o, true)));
      else {
        const src = t.int64Data ?? [];
        checkCount(src.length, n, where);
        for (let i = 0; i < n; i++) out[i] = BigInt(toInt(src[i]));
      }
      break;
    }
    case DataType.BOOL:
    case DataType.UINT8: {
      width = 1;
      const out = new Uint8Array(n);
      data = out;
      if (view) readRaw(view, n, width, where, (i, o) => (out[i] = view.getUint8(o)));
      else fillFrom(out, t.int32Data ?? [], where);
      break;
    }
    default:
      throw new TypeError(
        `Cannot read ${where}: data type ${dataTypeName(dataType)} is not supported`,
      );
  }
  return { dims, dataType, data };
}

/** Bytes per element of the data types {@linkcode decodeTensorProto} reads. */
const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.INT32]: 4,
  [DataType.INT16]: 2,
  [DataType.UINT16]: 2,
  [DataType.INT8]: 1,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.UINT8]: 1,
};

/** Refuses dims whose values the proto does not hold, before anything is allocated. */
function checkAvailable(
  t: onnxProto.onnx.ITensorProto,
  dataType: number,
  n: number,
  where: string,
) {
  const width = ELEMENT_BYTES[dataType];
  if (width === undefined) return; // Refused with its own message below.
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  if (raw) {
    if (raw.byteLength !== n * width) {
      throw new TypeError(
        `Cannot read ${where}: raw data has ${raw.byteLength} bytes, expected ${n * width}`,
      );
    }
    return;
  }
  const typed = dataType === DataType.FLOAT
    ? t.floatData
    : dataType === DataType.DOUBLE
    ? t.doubleData
    : dataType === DataType.INT64
    ? t.int64Data
    : t.int32Data;
  checkCount(typed?.length ?? 0, n, where);
}

function readRaw(
  view: DataView,
  n: number,
  width: number,
  where: string,
  read: (i: number, offset: number) => void,
): void {
  if (view.byteLength !== n * width) {
    throw new TypeError(
      `Cannot read ${where}: raw data has ${view.byteLength} bytes, expected ${n * width}`,
    );
  }
  for (let i = 0; i < n; i++) read(i, i * width);
}

function checkCount(got: number, n: number, where: string): void {
  if (got !== n) throw new TypeError(`Cannot read ${where}: ${got} values for ${n} elements`);
}

function fillFrom(
  out: Float32Array | Float64Array | Int32Array | Uint8Array,
  src: readonly number[],
  where: string,
): void {
  checkCount(src.length, out.length, where);
  for (let i = 0; i < out.length; i++) out[i] = src[i]!;
}

/**
 * Encodes a {@linkcode HostTensor} as a `TensorProto` with little-endian
 * `raw_data` (the form exporters write).
 *
 * @throws {TypeError} If the data array does not fit the data type or dims.
 */
export function encodeTensorProto(name: string, tensor: HostTensor): onnxProto.onnx.ITensorProto {
  const { dims, dataType, data } = tensor;
  const n = sizeOf(dims);
  if (data.length !== n) {
    throw new TypeError(
      `Cannot encode tensor "${name}": ${data.length} values for dims [${dims.join(", ")}]`,
    );
  }
  let width: number;
  let write: (view: DataView, i: number) => void;
  switch (dataType) {
    case DataType.FLOAT:
      width = 4;
      write = (v, i) => v.setFloat32(i * 4, Number(data[i]), true);
      break;
    case DataType.DOUBLE:
      width = 8;
      write = (v, i) => v.setFloat64(i * 8, Number(data[i]), true);
      break;
    case DataType.INT32:
      width = 4;
      write = (v, i) => v.setInt32(i * 4, Number(data[i]), true);
      break;
    case DataType.INT16:
      width = 2;
      write = (v, i) => v.setInt16(i * 2, Number(data[i]), true);
      break;
    case DataType.UINT16:
      width = 2;
      write = (v, i) => v.setUint16(i * 2, Number(data[i]), true);
      break;
    case DataType.INT8:
      width = 1;
      write = (v, i) => v.setInt8(i, Number(data[i]));
      break;
    case DataType.INT64:
      width = 8;
      write = (v, i) => v.setBigInt64(i * 8, BigInt(data[i]!), true);
      break;
    case DataType.BOOL:
    case DataType.UINT8:
      width = 1;
      write = (v, i) => v.setUint8(i, Number(data[i]));
      break;
    default:
      throw new TypeError(
        `Cannot encode tensor "${name}": data type ${dataTypeName(dataType)} is not supported`,
      );
  }
  const raw = new Uint8Array(n * width);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) write(view, i);
  return { name, dims: [...dims], dataType, rawData: raw };
}

/** A copy of a float or double host tensor converted to `dataType` (float or double). */
export function convertFloatTensor(tensor: HostTensor, dataType: number): HostTensor {
  const data = dataType === DataType.DOUBLE
    ? Float64Array.from(tensor.data as Float32Array | Float64Array)
    : Float32Array.from(tensor.data as Float32Array | Float64Array);
  return { dims: [...tensor.dims], dataType, data };
}
