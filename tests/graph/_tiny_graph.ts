/**
 * Test helper: builds tiny ONNX graphs with onnx-proto, runs them in
 * onnxruntime-node (the oracle) and in the tfjs rebuild, and compares.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { compileGraph } from "../../lib/graph/interpreter.ts";
import type { TfModel } from "../../lib/graph/tf_model.ts";
import { decodeOnnxModel, type OnnxModel } from "../../lib/onnx/model.ts";
import { createOrtRunner } from "../../lib/onnx/ort_runner.ts";
import { toHost, toTensor, type Value } from "../../lib/graph/value.ts";
import { DataType, encodeTensorProto, type HostTensor } from "../../lib/onnx/tensor.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { UnsupportedNodeError } from "../../lib/graph/errors.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";

/** Float32 forward agreement between the rebuild and onnxruntime (relative to max(1, |y|)). */
export const FORWARD_TOL = { float32: 2e-6 } as const;

/** A named tensor: dims, data and ONNX data type (default float). */
export interface TinyTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: readonly number[];
  readonly dataType?: number;
}

/** A tiny graph: nodes, fed inputs, initializers and output names with their types. */
export interface TinyGraph {
  readonly nodes: readonly onnxProto.onnx.INodeProto[];
  readonly inputs: readonly TinyTensor[];
  readonly initializers?: readonly TinyTensor[];
  /** Output names, or `{ name, dataType, dims }` for non-float outputs or declared shapes. */
  readonly outputs: readonly (string | { name: string; dataType?: number; dims?: number[] })[];
  /** @default {17} */
  readonly opset?: number;
}

/** A computed output: dims and values as numbers (bools 0/1). */
export interface Computed {
  readonly dims: number[];
  readonly data: number[];
}

/** Shorthand for a node. */
export function node(
  opType: string,
  input: string[],
  output: string[],
  attribute: onnxProto.onnx.IAttributeProto[] = [],
): onnxProto.onnx.INodeProto {
  return {
    opType,
    input,
    output,
    attribute,
    name: `${opType.toLowerCase()}_${output[0] ?? "node"}`,
  };
}

/** Attribute builders. */
export const attr = {
  int: (name: string, i: number): onnxProto.onnx.IAttributeProto => ({ name, type: 2, i }),
  float: (name: string, f: number): onnxProto.onnx.IAttributeProto => ({ name, type: 1, f }),
  ints: (name: string, ints: number[]): onnxProto.onnx.IAttributeProto => ({ name, type: 7, ints }),
  floats: (name: string, floats: number[]): onnxProto.onnx.IAttributeProto => ({
    name,
    type: 6,
    floats,
  }),
  tensor: (name: string, t: TinyTensor): onnxProto.onnx.IAttributeProto => ({
    name,
    type: 4,
    t: tensorProto(t),
  }),
};

function hostTensor(t: TinyTensor): HostTensor {
  const dataType = t.dataType ?? DataType.FLOAT;
  const data = dataType === DataType.FLOAT
    ? Float32Array.from(t.data)
    : dataType === DataType.DOUBLE
    ? Float64Array.from(t.data)
    : dataType === DataType.INT64
    ? BigInt64Array.from(t.data.map((v) => BigInt(v)))
    : dataType === DataType.BOOL
    ? Uint8Array.from(t.data)
    : Int32Array.from(t.data);
  return { dims: t.dims, dataType, data };
}

function tensorProto(t: TinyTensor): onnxProto.onnx.ITensorProto {
  return encodeTensorProto(t.name, hostTensor(t));
}

function valueInfo(name: string, dataType: number, dims?: readonly number[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: dataType,
        ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}),
      },
    },
  };
}

/** Builds the serialized model. */
export function buildTinyModel(g: TinyGraph): Uint8Array {
  return onnxProto.onnx.ModelProto.encode(tinyProto(g)).finish();
}

/** Builds the model proto. */
export function tinyProto(g: TinyGraph): onnxProto.onnx.ModelProto {
  return onnxProto.onnx.ModelProto.create({
    irVersion: 8,
    producerName: "partials-tests",
    opsetImport: [{ domain: "", version: g.opset ?? 17 }],
    graph: {
      name: "tiny",
      node: [...g.nodes],
      initializer: (g.initializers ?? []).map(tensorProto),
      input: g.inputs.map((t) => valueInfo(t.name, t.dataType ?? DataType.FLOAT, t.dims)),
      output: g.outputs.map((o) =>
        typeof o === "string"
          ? valueInfo(o, DataType.FLOAT)
          : valueInfo(o.name, o.dataType ?? DataType.FLOAT, o.dims)
      ),
    },
  });
}

function ortTensor(t: TinyTensor): ort.Tensor {
  const dims = [...t.dims];
  switch (t.dataType ?? DataType.FLOAT) {
    case DataType.FLOAT:
      return new ort.Tensor("float32", Float32Array.from(t.data), dims);
    case DataType.DOUBLE:
      return new ort.Tensor("float64", Float64Array.from(t.data), dims);
    case DataType.INT64:
      return new ort.Tensor("int64", BigInt64Array.from(t.data.map((v) => BigInt(v))), dims);
    case DataType.BOOL:
      return new ort.Tensor("bool", Uint8Array.from(t.data), dims);
    default:
      return new ort.Tensor("int32", Int32Array.from(t.data), dims);
  }
}

/** Runs the graph in onnxruntime-node. */
export async function runOrt(g: TinyGraph): Promise<Map<string, Computed>> {
  const session = await ort.InferenceSession.create(buildTinyModel(g), {
    graphOptimizationLevel: "basic",
  });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of g.inputs) feeds[t.name] = ortTensor(t);
    const result = await session.run(feeds);
    const out = new Map<string, Computed>();
    for (const o of g.outputs) {
      const name = typeof o === "string" ? o : o.name;
      const y = result[name]!;
      out.set(name, {
        dims: [...y.dims],
        data: Array.from(y.data as ArrayLike<number | bigint>, (v) => Number(v)),
      });
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Runs the graph in the tfjs rebuild (inputs fed as tensors). */
export async function runTf(g: TinyGraph): Promise<Map<string, Computed>> {
  await initTf();
  const proto = tinyProto(g);
  const compiled = compileGraph(proto.graph!, { opset: g.opset ?? 17, source: "tiny.onnx" });
  try {
    const result = new Map<string, Computed>();
    tf.tidy(() => {
      const feeds = new Map<string, Value>(
        g.inputs.map((t) => [t.name, toTensor(toHostFeed(t))]),
      );
      const outs = compiled.run(feeds);
      compiled.outputNames.forEach((name, i) => {
        const h = toHost(outs[i]!);
        result.set(name, { dims: [...h.dims], data: Array.from(h.data) });
      });
    });
    return result;
  } finally {
    compiled.dispose();
  }
}

function toHostFeed(t: TinyTensor) {
  const dt = t.dataType ?? DataType.FLOAT;
  const kind = dt === DataType.FLOAT || dt === DataType.DOUBLE
    ? "float" as const
    : dt === DataType.BOOL
    ? "bool" as const
    : "int" as const;
  return { kind, dims: [...t.dims], data: Float64Array.from(t.data) };
}

/**
 * Asserts the rebuild and onnxruntime agree on every output: same dims, values
 * within `tol * max(1, |y_ort|)`.
 */
export async function assertAgrees(g: TinyGraph, tol: number = FORWARD_TOL.float32) {
  const [expected, actual] = [await runOrt(g), await runTf(g)];
  for (const [name, e] of expected) {
    const a = actual.get(name)!;
    assertEquals(a.dims, e.dims, `dims of "${name}"`);
    e.data.forEach((v, i) => {
      if (Number.isNaN(v)) {
        assertEquals(Number.isNaN(a.data[i]!), true, `"${name}"[${i}] should be NaN`);
      } else if (!Number.isFinite(v)) {
        assertEquals(a.data[i], v, `"${name}"[${i}]`);
      } else {
        assertAlmostEquals(a.data[i]!, v, tol * Math.max(1, Math.abs(v)), `"${name}"[${i}]`);
      }
    });
  }
  return { expected, actual };
}

/** Deterministic pseudo-random values in [lo, hi) (a small LCG, seeded). */
export function seeded(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (hi - lo) * (s / 2 ** 32);
  });
}

/** A float input tensor with seeded values. */
export function floatInput(
  name: string,
  dims: number[],
  seed: number,
  lo = -1,
  hi = 1,
): TinyTensor {
  return { name, dims, data: seeded(dims.reduce((a, b) => a * b, 1), seed, lo, hi) };
}

/** An int64 tensor. */
export function int64(name: string, data: number[], dims: number[] = [data.length]): TinyTensor {
  return { name, dims, data, dataType: DataType.INT64 };
}

/** The tiny graph as an {@linkcode OnnxModel} (it must have one 2-D input and one 2-D output). */
export function tinyOnnxModel(g: TinyGraph): OnnxModel {
  return decodeOnnxModel(buildTinyModel(g), "tiny.onnx");
}

/**
 * Asserts a training-mode graph is refused twice with the same reason: by the
 * loader (`RangeError`, `Cannot use tiny.onnx: node …`) before any engine runs,
 * and by the tfjs rebuild given the graph directly (`UnsupportedNodeError`).
 *
 * @param node How the message names the node, e.g. `"drop" (Dropout)`.
 * @returns The rebuild's error.
 */
export function assertTrainingModeRefused(
  g: TinyGraph,
  node: string,
  reason: string,
): UnsupportedNodeError {
  assertThrows(() => tinyOnnxModel(g), RangeError, `Cannot use tiny.onnx: node ${node}: ${reason}`);
  return assertThrows(
    () => compileGraph(tinyProto(g).graph!, { opset: g.opset ?? 17, source: "tiny.onnx" }),
    UnsupportedNodeError,
    `Cannot build the graph of tiny.onnx: node ${node}: ${reason}`,
  );
}

/**
 * Jacobian by float64 central differences of the onnxruntime float64 copy.
 *
 * @returns `[N][m][n]`.
 */
export async function centralDifferenceJacobian(
  model: OnnxModel,
  x: Float64Array,
  points: number,
  h = 1e-6,
): Promise<number[][][]> {
  const runner = await createOrtRunner(model, { dtype: "float64" });
  try {
    const n = runner.inputWidth;
    const m = runner.outputWidth;
    const jac = Array.from(
      { length: points },
      () => Array.from({ length: m }, () => new Array<number>(n).fill(0)),
    );
    for (let j = 0; j < n; j++) {
      const plus = x.slice();
      const minus = x.slice();
      for (let k = 0; k < points; k++) {
        plus[k * n + j] = x[k * n + j]! + h;
        minus[k * n + j] = x[k * n + j]! - h;
      }
      const [yp, ym] = [await runner.run(plus, points), await runner.run(minus, points)];
      for (let k = 0; k < points; k++) {
        for (let i = 0; i < m; i++) jac[k]![i]![j] = (yp[k * m + i]! - ym[k * m + i]!) / (2 * h);
      }
    }
    return jac;
  } finally {
    await runner.release();
  }
}

/** Jacobian of the tfjs rebuild by reverse mode, one backward pass per output: `[N][m][n]`. */
export async function autodiffJacobian(
  model: TfModel,
  x: Float64Array,
  points: number,
): Promise<number[][][]> {
  await initTf();
  const n = model.inputWidth;
  const m = model.outputWidth;
  const rows: number[][][] = Array.from({ length: points }, () => []);
  tf.tidy(() => {
    const xt = tf.tensor2d(Float32Array.from(x), [points, n]);
    for (let i = 0; i < m; i++) {
      const g = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.slice(model.apply(v as tf.Tensor2D), [0, i], [points, 1]))
      )(xt);
      const data = g.dataSync();
      for (let k = 0; k < points; k++) rows[k]![i] = Array.from(data.subarray(k * n, (k + 1) * n));
    }
  });
  return rows;
}
