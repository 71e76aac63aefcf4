/**
 * Reader and writer for the safetensors format: an 8-byte little-endian header
 * length `N`, a UTF-8 JSON header of `N` bytes mapping each tensor name to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets into the byte buffer
 * that follows the header) plus an optional `__metadata__` string map, then
 * the raw little-endian tensor bytes.
 *
 * @module
 */
import {
  decodeElements,
  DTYPE_BYTES,
  encodeElements,
  formatShape,
  shapeSize,
  type StateDict,
  type StateDtype,
  type StateTensor,
} from "./state_dict.ts";
import { describeError, escapeControl, quote } from "../io/quote.ts";

const TO_DTYPE: Readonly<Record<string, StateDtype>> = {
  F32: "float32",
  F64: "float64",
  F16: "float16",
  BF16: "bfloat16",
  I64: "int64",
  I32: "int32",
  I16: "int16",
  I8: "int8",
  U8: "uint8",
  BOOL: "bool",
};

const FROM_DTYPE: Readonly<Record<StateDtype, string>> = {
  float32: "F32",
  float64: "F64",
  float16: "F16",
  bfloat16: "BF16",
  int64: "I64",
  int32: "I32",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  bool: "BOOL",
};

/** A header value as short JSON for a message. */
function json(value: unknown): string {
  if (typeof value === "string") return quote(value, 60);
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 60 ? escapeControl(text) : quote(text, 60);
}

/** The largest header the reader accepts (as the reference implementation: 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Reads a safetensors file.
 *
 * @param bytes The file's bytes.
 * @param source Name used in error messages (usually the path).
 * @returns Name → tensor, ordered by position in the file.
 * @throws {SyntaxError} If the header length, the header JSON, a dtype, a shape or any
 *   `data_offsets` is invalid or points past the end of the file; the message names the
 *   file and the tensor.
 *
 * @example Usage
 * ```ts
 * import { readSafetensors, writeSafetensors } from "./safetensors.ts";
 * const dict = new Map([["w", { shape: [2], dtype: "float32" as const, data: new Float32Array([1, 2]) }]]);
 * const back = readSafetensors(writeSafetensors(dict), "inline");
 * if (back.get("w")!.data[1] !== 2) throw new Error("round trip failed");
 * ```
 */
export function readSafetensors(bytes: Uint8Array, source: string): StateDict {
  if (bytes.byteLength < 8) {
    throw new SyntaxError(
      `Cannot read ${source}: ${bytes.byteLength} bytes is too short for safetensors`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, bytes.byteLength - 8))) {
    throw new SyntaxError(
      `Cannot read ${source}: header length ${headerLength} exceeds the file (${bytes.byteLength} bytes)`,
    );
  }
  const start = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, start)));
  } catch (error) {
    throw new SyntaxError(
      `Cannot read ${source}: header is not JSON (${describeError(error)})`,
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SyntaxError(`Cannot read ${source}: header is not a JSON object`);
  }
  const bufferLength = bytes.byteLength - start;
  const entries: { name: string; begin: number; tensor: StateTensor }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const fail = (what: string): never => {
      throw new SyntaxError(`Cannot read ${source}: tensor ${quote(name, 60)}: ${what}`);
    };
    if (typeof info !== "object" || info === null) fail("header entry is not an object");
    const { dtype: code, shape, data_offsets: offsets } = info as Record<string, unknown>;
    const dtype = typeof code === "string" && Object.hasOwn(TO_DTYPE, code)
      ? TO_DTYPE[code]!
      : fail(`unsupported dtype ${json(code)}`);
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => typeof d === "number" && Number.isSafeInteger(d) && d >= 0)
    ) {
      fail(`shape ${json(shape)} is not a list of non-negative integers`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((o) => typeof o === "number" && Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(`data_offsets ${json(offsets)} is not a pair of non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    const dims = shape as number[];
    const count = shapeSize(dims);
    if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`);
    if (end > bufferLength) {
      fail(
        `data_offsets [${begin}, ${end}] point past the end of the file (${bufferLength} data bytes)`,
      );
    }
    if (end - begin !== count * DTYPE_BYTES[dtype]) {
      fail(
        `data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} ${
          formatShape(dims)
        } ` +
          `needs ${count * DTYPE_BYTES[dtype]}`,
      );
    }
    const data = decodeElements(bytes.subarray(start + begin, start + end), dtype, count);
    entries.push({ name, begin, tensor: { shape: dims, dtype, data } });
  }
  entries.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < entries.length; i++) {
    const previous = entries[i - 1]!;
    const end = previous.begin +
      shapeSize(previous.tensor.shape) * DTYPE_BYTES[previous.tensor.dtype];
    if (entries[i]!.begin < end) {
      throw new SyntaxError(
        `Cannot read ${source}: tensors ${quote(previous.name, 60)} and ${
          quote(entries[i]!.name, 60)
        } overlap (data_offsets ${previous.begin}..${end} and ${entries[i]!.begin}..)`,
      );
    }
  }
  return new Map(entries.map((e) => [e.name, e.tensor]));
}

/** Options of {@linkcode writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /**
   * String metadata stored under `__metadata__` (e.g. `{ format: "pt" }`).
   * @default {undefined} (no metadata)
   */
  metadata?: Record<string, string>;
}

/**
 * Serializes a state_dict as safetensors (tensors in `dict` order, header padded
 * with spaces so the data starts on an 8-byte boundary). `torch` reads it with
 * `safetensors.torch.load_file`.
 *
 * @param dict Tensors to write.
 * @param options Metadata.
 * @returns The file's bytes.
 * @throws {TypeError} If a tensor's data length disagrees with its shape.
 */
export function writeSafetensors(
  dict: StateDict,
  options: WriteSafetensorsOptions = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) header["__metadata__"] = { ...options.metadata };
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of dict) {
    if (tensor.data.length !== shapeSize(tensor.shape)) {
      throw new TypeError(
        `Cannot write safetensors: tensor "${name}" has ${tensor.data.length} values ` +
          `for shape ${formatShape(tensor.shape)}`,
      );
    }
    const raw = encodeElements(tensor);
    header[name] = {
      dtype: FROM_DTYPE[tensor.dtype],
      shape: [...tensor.shape],
      data_offsets: [offset, offset + raw.byteLength],
    };
    blobs.push(raw);
    offset += raw.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - (json.byteLength % 8)) % 8;
  if (padding > 0) {
    const padded = new Uint8Array(json.byteLength + padding).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.byteLength;
  }
  return out;
}
