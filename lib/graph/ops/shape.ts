/**
 * Shape and indexing ops: Shape, Gather, Unsqueeze, Squeeze, Reshape,
 * Flatten, Concat, Slice, Expand, Transpose, Range. Each works on tensors and
 * on host values; shape arguments (Reshape's shape, Slice's starts/ends,
 * Unsqueeze's axes, …) are read as host integers, from the attribute form
 * (older opsets) or the input form (newer opsets). Gather on a tensor and
 * Slice with steps other than 1 select with a gradient that needs no scatter
 * kernel (`_select.ts`).
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import {
  broadcastIndex,
  broadcastShapes,
  dimsOf,
  expandTo,
  hostTake,
  type HostValue,
  isHost,
  kindOf,
  normalizeAxis,
  sizeOf,
  stridedOffsets,
  stridesOf,
  toHost,
  toTensor,
  transposeOffsets,
  type Value,
} from "../value.ts";
import { selectAlong } from "./_select.ts";
import { ints, need, scalarOf } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

type Inputs = readonly (Value | undefined)[];

/** Same data, new dims (tensor or host). */
function reshapeValue(v: Value, dims: readonly number[]): Value {
  if (isHost(v)) return { kind: v.kind, dims: [...dims], data: v.data };
  return tf.reshape(v, [...dims]);
}

/** Evaluates a shape-only op the same way for host values and tensors. */
function dimsOnly(
  opType: string,
  outDims: (node: PlannedNode, inputs: Inputs, ctx: TranslateContext) => number[],
): OpEntry {
  const run = (node: PlannedNode, inputs: Inputs, ctx: TranslateContext) => [
    reshapeValue(need(node, inputs, 0, ctx), outDims(node, inputs, ctx)),
  ];
  return {
    opType,
    translate: run,
    host: (node, inputs, ctx) => run(node, inputs, ctx) as HostValue[],
  };
}

/** Axes from the input (newer opsets) or the attribute (older opsets). */
function axesOf(node: PlannedNode, inputs: Inputs, index: number): number[] | undefined {
  const v = inputs[index];
  if (v !== undefined) return ints(v);
  const a = node.attributes.numbers("axes");
  return a === undefined ? undefined : [...a];
}

function unsqueezeDims(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): number[] {
  const dims = dimsOf(need(node, inputs, 0, ctx));
  const axes = axesOf(node, inputs, 1);
  if (!axes) throw new TypeError(`${ctx.where(node)}: no axes`);
  const rank = dims.length + axes.length;
  const set = new Set(axes.map((a) => normalizeAxis(a, rank, ctx.where(node))));
  if (set.size !== axes.length) throw new RangeError(`${ctx.where(node)}: repeated axes`);
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(set.has(i) ? 1 : dims[j++]!);
  return out;
}

function squeezeDims(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): number[] {
  const dims = dimsOf(need(node, inputs, 0, ctx));
  const axes = axesOf(node, inputs, 1);
  if (!axes || axes.length === 0) return dims.filter((d) => d !== 1);
  const set = new Set(axes.map((a) => normalizeAxis(a, dims.length, ctx.where(node))));
  for (const a of set) {
    if (dims[a] !== 1) {
      throw new RangeError(`${ctx.where(node)}: cannot squeeze axis ${a} of size ${dims[a]}`);
    }
  }
  return dims.filter((_, i) => !set.has(i));
}

function reshapeDims(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): number[] {
  const x = need(node, inputs, 0, ctx);
  const dims = dimsOf(x);
  const shapeIn = node.opset < 5 ? node.attributes.numbers("shape") : undefined;
  const shape = shapeIn ? [...shapeIn] : ints(need(node, inputs, 1, ctx));
  const allowZero = node.attributes.number("allowzero", 0) !== 0;
  const out = shape.map((d, i) => (d === 0 && !allowZero ? dims[i]! : d));
  const total = sizeOf(dims);
  const unknown = out.indexOf(-1);
  if (unknown >= 0) {
    const known = out.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (known === 0 || total % known !== 0) {
      throw new RangeError(
        `${ctx.where(node)}: cannot reshape [${dims.join(", ")}] to [${shape.join(", ")}]`,
      );
    }
    out[unknown] = total / known;
  }
  if (sizeOf(out) !== total || out.some((d) => d < 0)) {
    throw new RangeError(
      `${ctx.where(node)}: cannot reshape [${dims.join(", ")}] to [${shape.join(", ")}]`,
    );
  }
  return out;
}

function flattenDims(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): number[] {
  const dims = dimsOf(need(node, inputs, 0, ctx));
  let axis = node.attributes.number("axis", 1);
  if (axis < 0) axis += dims.length;
  if (axis < 0 || axis > dims.length) {
    throw new RangeError(`${ctx.where(node)}: axis out of range for rank ${dims.length}`);
  }
  return [sizeOf(dims.slice(0, axis)), sizeOf(dims.slice(axis))];
}

function shapeOp(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): HostValue[] {
  const dims = dimsOf(need(node, inputs, 0, ctx));
  const r = dims.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(node.attributes.number("start", 0));
  const end = clamp(node.attributes.number("end", r));
  const out = dims.slice(start, Math.max(start, end));
  return [{ kind: "int", dims: [out.length], data: Float64Array.from(out) }];
}

/** Gather indices normalized to [0, size), as host integers. */
function gatherIndices(
  node: PlannedNode,
  idx: Value,
  size: number,
  ctx: TranslateContext,
): HostValue {
  const h = toHost(idx);
  const data = h.data.map((i) => {
    const j = i < 0 ? i + size : i;
    if (j < 0 || j >= size) {
      throw new RangeError(`${ctx.where(node)}: index ${i} is out of range for size ${size}`);
    }
    return j;
  });
  return { kind: "int", dims: h.dims, data };
}

function gather(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): Value[] {
  const data = need(node, inputs, 0, ctx);
  const dims = dimsOf(data);
  const axis = normalizeAxis(node.attributes.number("axis", 0), dims.length, ctx.where(node));
  const idx = gatherIndices(node, need(node, inputs, 1, ctx), dims[axis]!, ctx);
  const outDims = [...dims.slice(0, axis), ...idx.dims, ...dims.slice(axis + 1)];
  if (isHost(data)) {
    const outer = sizeOf(dims.slice(0, axis));
    const inner = sizeOf(dims.slice(axis + 1));
    const offsets: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const i of idx.data) {
        for (let k = 0; k < inner; k++) offsets.push((o * dims[axis]! + i) * inner + k);
      }
    }
    return [hostTake(data, outDims, offsets)];
  }
  return [tf.reshape(selectAlong(data, axis, Int32Array.from(idx.data)), outDims)];
}

function concat(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): Value[] {
  const parts = inputs.filter((v): v is Value => v !== undefined);
  if (parts.length === 0) throw new TypeError(`${ctx.where(node)}: no inputs`);
  const rank = dimsOf(parts[0]!).length;
  const axis = normalizeAxis(node.attributes.number("axis", 0), rank, ctx.where(node));
  if (parts.every(isHost)) {
    const hs = parts as HostValue[];
    const outer = sizeOf(hs[0]!.dims.slice(0, axis));
    const dims = [...hs[0]!.dims];
    dims[axis] = hs.reduce((s, h) => s + h.dims[axis]!, 0);
    const out = new Float64Array(sizeOf(dims));
    let pos = 0;
    for (let o = 0; o < outer; o++) {
      for (const h of hs) {
        const chunk = sizeOf(h.dims.slice(axis));
        out.set(h.data.subarray(o * chunk, (o + 1) * chunk), pos);
        pos += chunk;
      }
    }
    return [{ kind: hs[0]!.kind, dims, data: out }];
  }
  const nonEmpty = parts.map(toTensor).filter((t) => t.size > 0 || parts.length === 1);
  return [nonEmpty.length === 1 ? nonEmpty[0]! : tf.concat(nonEmpty, axis)];
}

interface AxisSlice {
  readonly start: number;
  readonly step: number;
  readonly count: number;
}

function sliceSpec(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): AxisSlice[] {
  const dims = dimsOf(need(node, inputs, 0, ctx));
  const r = dims.length;
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (node.opset < 10) {
    starts = [...(node.attributes.numbers("starts") ?? [])];
    ends = [...(node.attributes.numbers("ends") ?? [])];
    const a = node.attributes.numbers("axes");
    axes = a ? [...a] : undefined;
  } else {
    starts = ints(need(node, inputs, 1, ctx));
    ends = ints(need(node, inputs, 2, ctx));
    axes = inputs[3] !== undefined ? ints(inputs[3]) : undefined;
    steps = inputs[4] !== undefined ? ints(inputs[4]) : undefined;
  }
  if (ends.length !== starts.length) {
    throw new RangeError(`${ctx.where(node)}: starts and ends have different lengths`);
  }
  const spec: AxisSlice[] = dims.map((d) => ({ start: 0, step: 1, count: d }));
  starts.forEach((s0, i) => {
    const axis = normalizeAxis(axes ? axes[i]! : i, r, ctx.where(node));
    const d = dims[axis]!;
    const step = steps ? steps[i]! : 1;
    if (step === 0) throw new RangeError(`${ctx.where(node)}: step 0`);
    let s = s0 < 0 ? s0 + d : s0;
    let e = ends[i]! < 0 ? ends[i]! + d : ends[i]!;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    spec[axis] = { start: s, step, count: Math.max(0, Math.ceil((e - s) / step)) };
  });
  return spec;
}

function slice(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): Value[] {
  const x = need(node, inputs, 0, ctx);
  const spec = sliceSpec(node, inputs, ctx);
  const outDims = spec.map((s) => s.count);
  if (isHost(x)) {
    const strides = stridesOf(x.dims);
    const base = spec.reduce((b, s, i) => b + s.start * strides[i]!, 0);
    const offsets = stridedOffsets(outDims, spec.map((s, i) => s.step * strides[i]!), base);
    return [hostTake(x, outDims, offsets)];
  }
  if (spec.every((s) => s.step === 1)) {
    return [tf.slice(x, spec.map((s) => s.start), outDims)];
  }
  let t: tf.Tensor = x;
  spec.forEach((s, axis) => {
    if (s.step === 1 && s.start === 0 && s.count === t.shape[axis]) return;
    t = selectAlong(t, axis, Int32Array.from({ length: s.count }, (_, k) => s.start + k * s.step));
  });
  return [t];
}

function expand(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): Value[] {
  const x = need(node, inputs, 0, ctx);
  const dims = dimsOf(x);
  const out = broadcastShapes(dims, ints(need(node, inputs, 1, ctx)));
  if (out.length === dims.length && out.every((d, i) => d === dims[i])) return [x];
  if (isHost(x)) return [hostTake(x, out, broadcastIndex(x.dims, out))];
  return [expandTo(x, out)];
}

function transpose(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): Value[] {
  const x = need(node, inputs, 0, ctx);
  const dims = dimsOf(x);
  const perm = [...(node.attributes.numbers("perm") ?? dims.map((_, i) => dims.length - 1 - i))];
  if (isHost(x)) {
    return [hostTake(x, perm.map((p) => dims[p]!), transposeOffsets(dims, perm))];
  }
  return [tf.transpose(x, perm)];
}

function range(node: PlannedNode, inputs: Inputs, ctx: TranslateContext): HostValue[] {
  const start = need(node, inputs, 0, ctx);
  const s = scalarOf(start, node, ctx);
  const limit = scalarOf(need(node, inputs, 1, ctx), node, ctx);
  const delta = scalarOf(need(node, inputs, 2, ctx), node, ctx);
  if (delta === 0) throw new RangeError(`${ctx.where(node)}: delta is 0`);
  const n = Math.max(Math.ceil((limit - s) / delta), 0);
  const data = Float64Array.from({ length: n }, (_, i) => s + i * delta);
  return [{ kind: kindOf(start), dims: [n], data }];
}

/** The shape and indexing ops. */
export const SHAPE_OPS: readonly OpEntry[] = [
  { opType: "Shape", translate: shapeOp, host: shapeOp },
  { opType: "Gather", translate: gather, host: (n, i, c) => gather(n, i, c) as HostValue[] },
  dimsOnly("Unsqueeze", unsqueezeDims),
  dimsOnly("Squeeze", squeezeDims),
  dimsOnly("Reshape", reshapeDims),
  dimsOnly("Flatten", flattenDims),
  { opType: "Concat", translate: concat, host: (n, i, c) => concat(n, i, c) as HostValue[] },
  { opType: "Slice", translate: slice, host: (n, i, c) => slice(n, i, c) as HostValue[] },
  { opType: "Expand", translate: expand, host: (n, i, c) => expand(n, i, c) as HostValue[] },
  {
    opType: "Transpose",
    translate: transpose,
    host: (n, i, c) => transpose(n, i, c) as HostValue[],
  },
  { opType: "Range", translate: range, host: range },
];
