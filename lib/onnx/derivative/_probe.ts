/**
 * Static shapes and element types of every value of a graph, measured by
 * running it once in onnxruntime at two small batch sizes with every
 * intermediate value exposed as an output: a dim that differs between the two
 * runs depends on the batch. The derivative transform needs the ranks (to
 * place the direction axis) and the dims (to expand only where needed).
 *
 * @module
 */
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { DataType, decodeTensorProto, toInt } from "../tensor.ts";
import type { Dim, ValueInfo } from "./_graph_builder.ts";

const ORT_TYPES: Readonly<Record<string, number>> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int64: DataType.INT64,
  int32: DataType.INT32,
  bool: DataType.BOOL,
  uint8: DataType.UINT8,
  int8: DataType.INT8,
};

/** Batch sizes of the two probe runs (a graph with a fixed batch is run at that batch). */
const PROBE_BATCHES = [3, 5] as const;

/** Options of {@linkcode probeGraph}. */
export interface ProbeOptions {
  /** The graph input, `[batch, width]`. */
  input: string;
  /** Input width `n`. */
  width: number;
  /** Fixed batch size, or `null` when dynamic. */
  batch: number | null;
  /** Element type of the input (FLOAT or DOUBLE). */
  elemType: number;
  /** Path or label for messages. */
  source: string;
}

/** What a probe measured. */
export interface Probe {
  /** Dims and element type of every value. */
  readonly info: Map<string, ValueInfo>;
  /**
   * Small integer values computed at run time that are the same at both batch
   * sizes (axes, shapes and indices derived from shapes), by name.
   */
  readonly values: Map<string, Float64Array>;
}

/** Integer values up to this many elements are recorded by the probe. */
const MAX_RECORDED_VALUES = 64;

/**
 * Runs `proto` with every node output exposed and returns what is known of
 * each value: its dims at the two probe batch sizes and its element type
 * (initializers and the input included), and the small integer values that do
 * not depend on the batch.
 *
 * @throws {Error} Naming the model if onnxruntime cannot load or run it.
 */
export async function probeGraph(
  proto: onnxProto.onnx.IModelProto,
  options: ProbeOptions,
): Promise<Probe> {
  const copy = onnxProto.onnx.ModelProto.decode(onnxProto.onnx.ModelProto.encode(proto).finish());
  const graph = copy.graph!;
  const outputs = [...(graph.output ?? [])];
  const declared = new Set(outputs.map((o) => o.name ?? ""));
  for (const node of graph.node ?? []) {
    for (const out of node.output ?? []) {
      if (out !== "" && !declared.has(out)) {
        declared.add(out);
        outputs.push({ name: out });
      }
    }
  }
  graph.output = outputs;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(
      onnxProto.onnx.ModelProto.encode(copy).finish(),
      { graphOptimizationLevel: "disabled", logSeverityLevel: 3 },
    );
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new Error(`Cannot build the derivative graph of ${options.source}: ${why}`);
  }
  const batches = options.batch === null ? PROBE_BATCHES : [options.batch, options.batch];
  const runs: Record<string, ort.Tensor>[] = [];
  try {
    for (const batch of batches) {
      const size = batch * options.width;
      let s = 12345;
      const values = Array.from({ length: size }, () => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return 0.1 + 0.8 * (s / 2 ** 32);
      });
      const tensor = options.elemType === DataType.DOUBLE
        ? new ort.Tensor("float64", Float64Array.from(values), [batch, options.width])
        : new ort.Tensor("float32", Float32Array.from(values), [batch, options.width]);
      runs.push(await session.run({ [options.input]: tensor }));
    }
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new Error(`Cannot build the derivative graph of ${options.source}: ${why}`);
  } finally {
    await session.release();
  }
  const info = new Map<string, ValueInfo>();
  for (const t of graph.initializer ?? []) {
    const dims = (t.dims ?? []).map(toInt);
    info.set(t.name ?? "", { dims: dims.map((d): Dim => [d, d]), elemType: t.dataType ?? 0 });
  }
  const values = new Map<string, Float64Array>();
  const [first, second] = runs as [Record<string, ort.Tensor>, Record<string, ort.Tensor>];
  for (const [name, a] of Object.entries(first)) {
    const b = second[name]!;
    const elemType = ORT_TYPES[a.type];
    if (elemType === undefined || a.dims.length !== b.dims.length) {
      throw new TypeError(
        `Cannot build the derivative graph of ${options.source}: value "${name}" has type ${a.type} or a rank that depends on the batch`,
      );
    }
    info.set(name, { dims: a.dims.map((d, i): Dim => [d, b.dims[i]!]), elemType });
    if ((a.type === "int64" || a.type === "int32") && a.size <= MAX_RECORDED_VALUES) {
      const va = Array.from(a.data as ArrayLike<number | bigint>, Number);
      const vb = Array.from(b.data as ArrayLike<number | bigint>, Number);
      if (va.length === vb.length && va.every((v, i) => v === vb[i])) {
        values.set(name, Float64Array.from(va));
      }
    }
    a.dispose();
    b.dispose();
  }
  info.set(options.input, {
    dims: [[batches[0], batches[1]], [options.width, options.width]],
    elemType: options.elemType,
  });
  return { info, values };
}

/**
 * The value of a constant (an initializer or a `Constant` node's `value`
 * tensor), by name, for every constant of the graph.
 */
export function constantValues(graph: onnxProto.onnx.IGraphProto): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const read = (t: onnxProto.onnx.ITensorProto, name: string) => {
    try {
      const host = decodeTensorProto(t, name);
      out.set(
        name,
        host.data instanceof BigInt64Array
          ? Float64Array.from(host.data, (v) => Number(v))
          : Float64Array.from(host.data),
      );
    } catch {
      // Types the toolkit does not decode are never read as constants.
    }
  };
  for (const t of graph.initializer ?? []) read(t, t.name ?? "");
  for (const node of graph.node ?? []) {
    if (node.opType !== "Constant" || (node.domain ?? "") !== "") continue;
    const out0 = node.output?.[0] ?? "";
    for (const a of node.attribute ?? []) {
      if (a.name === "value" && a.t) read(a.t, out0);
      else if (a.name === "value_float") out.set(out0, Float64Array.of(a.f ?? 0));
      else if (a.name === "value_floats") out.set(out0, Float64Array.from(a.floats ?? []));
      else if (a.name === "value_int") out.set(out0, Float64Array.of(toInt(a.i)));
      else if (a.name === "value_ints") out.set(out0, Float64Array.from((a.ints ?? []).map(toInt)));
    }
  }
  return out;
}
