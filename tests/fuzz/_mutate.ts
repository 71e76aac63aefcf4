/**
 * Seeded mutations of the bundled files: bit flips, truncation, insertion,
 * chunk duplication, and size fields set huge (format-aware where the format
 * has them: zip headers and pickle integers in `.pth`, the header length and
 * numbers of `.safetensors`, dims in ONNX, numbers in text files).
 *
 * @module
 */
import onnxProto from "onnx-proto";
import type { FileKind } from "./_hostile.ts";

/** The mutation operators. */
export const MUTATIONS = ["bitflip", "truncate", "insert", "duplicate", "huge"] as const;

/** One mutation operator. */
export type Mutation = typeof MUTATIONS[number];

const HUGE_U32 = [0xffffffff, 0x7fffffff, 0x80000000, 0x40000000, 0xfffffff0];
const HUGE_TEXT = [
  "1e308",
  "-1e308",
  "1e309",
  "9".repeat(400),
  "1e-320",
  "NaN",
  "-0",
  "4294967297",
];
const TEXT_NOISE = [
  ",",
  ";",
  "\t",
  '"',
  "\n",
  "\r\n",
  "\u001b[31m",
  "\u0000",
  "\u0007",
  "e",
  "-",
  ".",
];

/** A uniform integer in `[0, n)`. */
function pick(random: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/**
 * Applies one mutation to a copy of `bytes`.
 *
 * @param bytes The file (not modified).
 * @param kind What the file is (chooses the size fields and the inserted text).
 * @param how The operator.
 * @param random A seeded generator in [0, 1).
 * @returns The mutant and a short description of what changed.
 */
export function mutate(
  bytes: Uint8Array,
  kind: FileKind,
  how: Mutation,
  random: () => number,
): { bytes: Uint8Array; what: string } {
  const n = bytes.length;
  const textual = kind === "inputs" || kind === "scaling" || kind === "equations";
  switch (how) {
    case "bitflip": {
      const out = bytes.slice();
      const flips = 1 + pick(random, 8);
      for (let i = 0; i < flips && n > 0; i++) out[pick(random, n)]! ^= 1 << pick(random, 8);
      return { bytes: out, what: `${flips} bit flips` };
    }
    case "truncate": {
      const at = pick(random, n + 1);
      return { bytes: bytes.slice(0, at), what: `truncated to ${at} bytes` };
    }
    case "insert": {
      const at = pick(random, n + 1);
      const insert = textual
        ? new TextEncoder().encode(
          Array.from({ length: 1 + pick(random, 4) }, () =>
            TEXT_NOISE[pick(random, TEXT_NOISE.length)])
            .join(""),
        )
        : Uint8Array.from({ length: 1 + pick(random, 64) }, () => pick(random, 256));
      return {
        bytes: splice(bytes, at, 0, insert),
        what: `${insert.length} bytes inserted at ${at}`,
      };
    }
    case "duplicate": {
      if (n === 0) return { bytes: bytes.slice(), what: "empty" };
      const length = 1 + pick(random, Math.min(4096, n));
      const from = pick(random, n - length + 1);
      const to = pick(random, n + 1);
      return {
        bytes: splice(bytes, to, 0, bytes.slice(from, from + length)),
        what: `${length} bytes from ${from} copied to ${to}`,
      };
    }
    case "huge":
      return textual ? hugeNumber(bytes, random) : hugeField(bytes, kind, random);
  }
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** Replaces one number of a text file with an extreme one. */
function hugeNumber(bytes: Uint8Array, random: () => number): { bytes: Uint8Array; what: string } {
  const text = new TextDecoder().decode(bytes);
  const numbers = [...text.matchAll(/[+-]?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
  if (numbers.length === 0) return { bytes: bytes.slice(), what: "no number" };
  const m = numbers[pick(random, numbers.length)]!;
  const value = HUGE_TEXT[pick(random, HUGE_TEXT.length)]!;
  const out = text.slice(0, m.index) + value + text.slice(m.index! + m[0].length);
  return {
    bytes: new TextEncoder().encode(out),
    what: `number at ${m.index} set to ${value.slice(0, 12)}`,
  };
}

/** Sets a size field of a binary file to a huge value. */
function hugeField(
  bytes: Uint8Array,
  kind: FileKind,
  random: () => number,
): { bytes: Uint8Array; what: string } {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const huge = HUGE_U32[pick(random, HUGE_U32.length)]!;
  if (kind === "safetensors" && random() < 0.5) {
    view.setBigUint64(0, [2n ** 63n, 2n ** 40n, BigInt(bytes.length), 0n][pick(random, 4)]!, true);
    return { bytes: out, what: "header length set huge" };
  }
  if (kind === "onnx" && random() < 0.7) {
    const dims = hugeDims(bytes, random);
    if (dims) return dims;
  }
  // Zip header fields (sizes, offsets, counts) and pickle integers (BININT `J`: tensor sizes,
  // strides, storage sizes) are found by their markers; otherwise a random aligned word.
  const sites: [number, string][] = [];
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = view.getUint32(i, true);
    if (sig === 0x04034b50) sites.push([i + 18, "local compressed size"], [i + 22, "local size"]);
    if (sig === 0x02014b50) {
      sites.push([i + 20, "central compressed size"], [i + 24, "central size"], [
        i + 42,
        "local offset",
      ]);
    }
    if (sig === 0x06054b50) {
      sites.push([i + 10, "entry count"], [i + 12, "central size"], [i + 16, "central offset"]);
    }
    if (kind === "pth" && out[i] === 0x4a && random() < 0.05) sites.push([i + 1, "pickle integer"]);
  }
  const [at, what] = sites.length > 0 && random() < 0.8
    ? sites[pick(random, sites.length)]!
    : [pick(random, Math.max(1, out.length - 3)) & ~3, "a word"];
  if (at + 4 > out.length) return { bytes: out, what: "too short" };
  if (what === "entry count") view.setUint16(at, 0xffff, true);
  else view.setUint32(at, huge, true);
  return { bytes: out, what: `${what} at ${at} set to ${huge}` };
}

/** An ONNX file with one declared dim (initializer, input, output or value info) set huge. */
function hugeDims(
  bytes: Uint8Array,
  random: () => number,
): { bytes: Uint8Array; what: string } | undefined {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnxProto.onnx.ModelProto.decode(bytes);
  } catch {
    return undefined;
  }
  const graph = model.graph;
  if (!graph) return undefined;
  const value = [1e9, 2 ** 40, 1e15, -1, 0][pick(random, 5)]!;
  const infos = [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])];
  const inits = graph.initializer ?? [];
  if (inits.length > 0 && random() < 0.5) {
    const t = inits[pick(random, inits.length)]!;
    if (!t.dims || t.dims.length === 0) return undefined;
    t.dims[pick(random, t.dims.length)] = value;
    return {
      bytes: onnxProto.onnx.ModelProto.encode(model).finish(),
      what: `initializer ${t.name} dim set to ${value}`,
    };
  }
  const info = infos[pick(random, Math.max(1, infos.length))];
  const dims = info?.type?.tensorType?.shape?.dim;
  if (!info || !dims || dims.length === 0) return undefined;
  dims[pick(random, dims.length)] = { dimValue: value };
  return {
    bytes: onnxProto.onnx.ModelProto.encode(model).finish(),
    what: `value ${info.name} dim set to ${value}`,
  };
}
