/**
 * An ONNX model held in memory: the decoded protobuf, its one 2-D input and
 * one 2-D output, its opset and its initializers decoded into typed arrays.
 * Also the edits the toolkit makes to a model: replacing initializer values
 * (mapped PyTorch weights) and making a float64 copy for finite differences.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { readBinaryFile } from "../io/table.ts";
import { describeError } from "../io/quote.ts";
import { checkGraph } from "./_checks.ts";
import { rewriteForFloat64 } from "./_float64_rewrites.ts";
import { checkInferenceMode } from "./training_mode.ts";
import {
  convertFloatTensor,
  DataType,
  dataTypeName,
  decodeTensorProto,
  encodeTensorProto,
  type HostTensor,
  isFloatType,
  toInt,
} from "./tensor.ts";

export type { HostTensor, OnnxDataArray } from "./tensor.ts";

/** One end (input or output) of the model: name, row width and batch size. */
export interface OnnxPort {
  /** Graph input or output name. */
  readonly name: string;
  /** Number of columns (the second dimension). */
  readonly width: number;
  /** Fixed batch size (first dimension), or `null` when dynamic. */
  readonly batch: number | null;
  /** ONNX element type code (1 = float, 11 = double). */
  readonly elemType: number;
}

/** An ONNX model with one 2-D input `[batch, n]` and one 2-D output `[batch, m]`. */
export interface OnnxModel {
  /** Path or label, used in messages. */
  readonly source: string;
  /** The decoded protobuf. Treat as read-only: edits go through the functions of this module. */
  readonly proto: onnxProto.onnx.ModelProto;
  /** Opset of the default (`""` / `"ai.onnx"`) domain. */
  readonly opset: number;
  /** `producer_name`, e.g. `"pytorch"`. */
  readonly producer: string;
  /** The graph input (initializers listed as inputs by old exporters are skipped). */
  readonly input: OnnxPort;
  /** The graph output. */
  readonly output: OnnxPort;
  /** Every graph initializer, decoded, by name. */
  readonly initializers: ReadonlyMap<string, HostTensor>;
}

/**
 * Decodes ONNX bytes into an {@linkcode OnnxModel}.
 *
 * @param bytes The serialized `ModelProto`.
 * @param source Path or label used in messages.
 * @throws {SyntaxError} If the bytes are not a valid ONNX model (truncated, garbage, no graph,
 *   a node reading an undefined value, a cycle).
 * @throws {RangeError} If a declared size is beyond the limits (`lib/io/limits.ts`), or a
 *   node runs in training mode (a random Dropout, a BatchNormalization over batch statistics).
 * @throws {TypeError} If the graph does not have exactly one 2-D float/double
 *   input with a fixed width and one 2-D output with a fixed width.
 *
 * @example Usage
 * ```ts
 * import onnxProto from "onnx-proto";
 * import { decodeOnnxModel } from "./model.ts";
 * const vi = (name: string) => ({
 *   name,
 *   type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: 2 }] } } },
 * });
 * const bytes = onnxProto.onnx.ModelProto.encode({
 *   irVersion: 8,
 *   opsetImport: [{ domain: "", version: 17 }],
 *   graph: { node: [{ opType: "Relu", input: ["x"], output: ["y"] }], input: [vi("x")], output: [vi("y")] },
 * }).finish();
 * const model = decodeOnnxModel(bytes, "relu.onnx");
 * if (model.input.width !== 2 || model.input.batch !== null || model.opset !== 17) throw new Error();
 * ```
 */
export function decodeOnnxModel(bytes: Uint8Array, source: string): OnnxModel {
  return fromProto(decodeProto(bytes, source), source);
}

function decodeProto(bytes: Uint8Array, source: string): onnxProto.onnx.ModelProto {
  let proto: onnxProto.onnx.ModelProto;
  try {
    proto = onnxProto.onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new SyntaxError(
      `Cannot read ${source}: not a valid ONNX model (${describeError(error)})`,
    );
  }
  // Checked before anything (onnxruntime included) runs the graph.
  if (proto.graph) {
    checkGraph(proto.graph, source);
    checkInferenceMode(proto.graph, defaultOpset(proto), source);
  }
  return proto;
}

/**
 * Reads and decodes an ONNX file.
 *
 * @throws {Deno.errors.NotFound} Wrapped by {@linkcode readBinaryFile} in a one-line error naming the file.
 * @throws {SyntaxError} See {@linkcode decodeOnnxModel}.
 */
export async function loadOnnxModel(path: string): Promise<OnnxModel> {
  return await resolveOnnxModel(await readBinaryFile(path), path);
}

/**
 * Decodes ONNX bytes like {@linkcode decodeOnnxModel}, and when the exporter
 * left the output's width symbolic (torch does so after `Einsum` followed by
 * `view(-1, m)`), finds it by running the model once in onnxruntime on one
 * batch of zeros and writes it into the model's output shape.
 *
 * @throws {SyntaxError} See {@linkcode decodeOnnxModel}.
 * @throws {TypeError} See {@linkcode decodeOnnxModel}, or if running the model to find the
 *   output width fails (naming the file and onnxruntime's reason).
 */
export async function resolveOnnxModel(bytes: Uint8Array, source: string): Promise<OnnxModel> {
  const proto = decodeProto(bytes, source);
  const output = proto.graph?.output?.length === 1 ? proto.graph.output[0] : undefined;
  const dims = output?.type?.tensorType?.shape?.dim;
  const widthDim = dims?.length === 2 ? dims[1] : undefined;
  if (widthDim && !(toInt(widthDim.dimValue) > 0)) {
    const model = fromProto(proto, source, { outputWidth: 0 });
    const width = await runForOutputWidth(model);
    widthDim.dimParam = null;
    widthDim.dimValue = width;
  }
  return fromProto(proto, source);
}

async function runForOutputWidth(model: OnnxModel): Promise<number> {
  const { InferenceSession, Tensor } = await import("onnxruntime-node");
  const rows = model.input.batch ?? 1;
  const n = model.input.width;
  const where = `Cannot use ${model.source}: output "${model.output.name}" has no fixed width`;
  try {
    const session = await InferenceSession.create(encodeOnnxModel(model), {
      logSeverityLevel: 4,
    });
    try {
      const type = model.input.elemType === DataType.DOUBLE ? "float64" : "float32";
      const zeros = type === "float64" ? new Float64Array(rows * n) : new Float32Array(rows * n);
      const result = await session.run({ [model.input.name]: new Tensor(type, zeros, [rows, n]) });
      const y = result[model.output.name];
      const shape = y?.dims ?? [];
      if (shape.length !== 2 || shape[0] !== rows) {
        throw new TypeError(
          `${where}, and one run gives shape [${shape.join(", ")}], not [${rows}, m]`,
        );
      }
      return Number(shape[1]);
    } finally {
      await session.release();
    }
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith(where)) throw error;
    const why = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new TypeError(`${where}, and running it once to find the width failed: ${why}`);
  }
}

/** Serializes the model's protobuf. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  return onnxProto.onnx.ModelProto.encode(model.proto).finish();
}

/**
 * A new model whose named initializers hold the given values. Float values are
 * converted to the initializer's own precision (float or double).
 *
 * @param model The model (not modified).
 * @param values New values by initializer name.
 * @throws {RangeError} If a name is not an initializer or its dims differ, naming the initializer.
 * @throws {TypeError} If a non-float initializer is given values of another data type.
 */
export function replaceInitializers(
  model: OnnxModel,
  values: ReadonlyMap<string, HostTensor>,
): OnnxModel {
  for (const [name, value] of values) {
    const old = model.initializers.get(name);
    if (!old) {
      throw new RangeError(
        `Cannot replace initializers of ${model.source}: "${name}" is not an initializer`,
      );
    }
    if (!sameDims(old.dims, value.dims)) {
      throw new RangeError(
        `Cannot replace initializers of ${model.source}: "${name}" has shape [${
          old.dims.join(", ")
        }] but the new value has shape [${value.dims.join(", ")}]`,
      );
    }
    if (
      old.dataType !== value.dataType && !(isFloatType(old.dataType) && isFloatType(value.dataType))
    ) {
      throw new TypeError(
        `Cannot replace initializers of ${model.source}: "${name}" is ${
          dataTypeName(old.dataType)
        } but the new value is ${dataTypeName(value.dataType)}`,
      );
    }
  }
  const proto = cloneProto(model.proto);
  const graph = proto.graph!;
  graph.initializer = (graph.initializer ?? []).map((t) => {
    const name = t.name ?? "";
    const value = values.get(name);
    if (!value) return t;
    const target = t.dataType ?? 0;
    const converted = value.dataType === target ? value : convertFloatTensor(value, target);
    return onnxProto.onnx.TensorProto.create(encodeTensorProto(name, converted));
  });
  return fromProto(proto, model.source);
}

/**
 * A float64 copy of the model: float initializers, `Constant` and
 * `ConstantOfShape` float values, `Cast(to=float)` targets and the element
 * types of inputs, outputs and value infos become double. Ops that
 * onnxruntime implements for float only (Elu, Selu, HardSigmoid, Softplus,
 * Softsign, Erf; LeakyRelu before opset 16, Clip before 12) are rewritten into double-capable ops (Erf to ~1e-16
 * absolute). Run it in
 * onnxruntime with `graphOptimizationLevel: "basic"` (higher levels fuse
 * patterns into kernels that have no float64 implementation).
 *
 * @param model The model (not modified).
 * @returns A model whose input and output are double.
 */
export function toFloat64(model: OnnxModel): OnnxModel {
  const proto = cloneProto(model.proto);
  const graph = proto.graph!;
  const where = (what: string) => `${model.source}: ${what}`;
  const toDouble = (t: onnxProto.onnx.ITensorProto, label: string) => {
    if (t.dataType !== DataType.FLOAT) return t;
    const host = convertFloatTensor(decodeTensorProto(t, where(label)), DataType.DOUBLE);
    return onnxProto.onnx.TensorProto.create(encodeTensorProto(t.name ?? "", host));
  };
  graph.initializer = (graph.initializer ?? []).map((t) => toDouble(t, `initializer "${t.name}"`));
  for (const node of graph.node ?? []) {
    const label = `node "${node.name}"`;
    for (const attr of node.attribute ?? []) {
      if (attr.t && attr.t.dataType === DataType.FLOAT) {
        attr.t = toDouble(attr.t, label) as onnxProto.onnx.TensorProto;
      }
      if (node.opType === "Cast" && attr.name === "to" && toInt(attr.i) === DataType.FLOAT) {
        attr.i = DataType.DOUBLE;
      }
    }
    if (node.opType === "Constant" && (node.domain ?? "") === "") {
      const attr = node.attribute?.[0];
      if (attr && (attr.name === "value_float" || attr.name === "value_floats")) {
        const values = attr.name === "value_float" ? [attr.f ?? 0] : [...(attr.floats ?? [])];
        const host: HostTensor = {
          dims: attr.name === "value_float" ? [] : [values.length],
          dataType: DataType.DOUBLE,
          data: Float64Array.from(values),
        };
        node.attribute = [
          onnxProto.onnx.AttributeProto.create({
            name: "value",
            type: onnxProto.onnx.AttributeProto.AttributeType.TENSOR,
            t: encodeTensorProto("", host),
          }),
        ];
      }
    }
  }
  for (
    const info of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]
  ) {
    const tensorType = info.type?.tensorType;
    if (tensorType && tensorType.elemType === DataType.FLOAT) tensorType.elemType = DataType.DOUBLE;
  }
  const nodes = graph.node ?? [];
  if (nodes.some((n, i) => rewriteForFloat64(n, i, model.opset) !== undefined)) {
    graph.node = nodes.flatMap((n, i) => rewriteForFloat64(n, i, model.opset) ?? [n]);
    // Value infos of rewritten outputs stay valid (same names, double).
    return fromProto(cloneProto(proto), model.source);
  }
  return fromProto(proto, model.source);
}

function cloneProto(proto: onnxProto.onnx.ModelProto): onnxProto.onnx.ModelProto {
  return onnxProto.onnx.ModelProto.decode(onnxProto.onnx.ModelProto.encode(proto).finish());
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fromProto(
  proto: onnxProto.onnx.ModelProto,
  source: string,
  options: { outputWidth?: number } = {},
): OnnxModel {
  const graph = proto.graph;
  const nodes = graph?.node ?? [];
  const outputs = graph?.output ?? [];
  if (!graph || nodes.length === 0 && outputs.length === 0) {
    throw new SyntaxError(`Cannot read ${source}: not a valid ONNX model (no graph)`);
  }
  const initializers = new Map<string, HostTensor>();
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? "";
    initializers.set(name, decodeTensorProto(t, `${source}: initializer "${name}"`));
  }
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? ""));
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new TypeError(
      `Cannot use ${source}: expected one input and one output, found ${inputs.length} input(s) (${
        inputs.map((v) => v.name).join(", ")
      }) and ${outputs.length} output(s)`,
    );
  }
  const input = port(inputs[0]!, "input", source);
  if (!isFloatType(input.elemType)) {
    throw new TypeError(
      `Cannot use ${source}: input "${input.name}" is ${
        dataTypeName(input.elemType)
      }, expected float or double`,
    );
  }
  const output = port(outputs[0]!, "output", source, options.outputWidth);
  return {
    source,
    proto,
    opset: defaultOpset(proto),
    producer: proto.producerName ?? "",
    input,
    output,
    initializers,
  };
}

/** Opset of the default (`""` / `"ai.onnx"`) domain, 0 when not imported. */
function defaultOpset(proto: onnxProto.onnx.ModelProto): number {
  let opset = 0;
  for (const entry of proto.opsetImport) {
    if (entry.domain === "" || entry.domain === "ai.onnx") opset = toInt(entry.version);
  }
  return opset;
}

function port(
  info: onnxProto.onnx.IValueInfoProto,
  kind: string,
  source: string,
  widthIfSymbolic?: number,
): OnnxPort {
  const name = info.name ?? "";
  const tensorType = info.type?.tensorType;
  const dims = tensorType?.shape?.dim ?? [];
  if (!tensorType || dims.length !== 2) {
    throw new TypeError(
      `Cannot use ${source}: ${kind} "${name}" must be 2-D [batch, width], found ${
        tensorType?.shape ? `${dims.length}-D` : "no shape"
      }`,
    );
  }
  const [batchDim, widthDim] = dims as [
    onnxProto.onnx.TensorShapeProto.IDimension,
    onnxProto.onnx.TensorShapeProto.IDimension,
  ];
  const hasValue = (d: onnxProto.onnx.TensorShapeProto.IDimension) =>
    d.dimValue !== null && d.dimValue !== undefined && toInt(d.dimValue) > 0;
  if (!hasValue(widthDim) && widthIfSymbolic === undefined) {
    throw new TypeError(
      `Cannot use ${source}: ${kind} "${name}" has no fixed width${
        kind === "output" ? " (loadOnnxModel finds it by running the model once)" : ""
      }`,
    );
  }
  return {
    name,
    width: hasValue(widthDim) ? toInt(widthDim.dimValue) : widthIfSymbolic!,
    batch: hasValue(batchDim) ? toInt(batchDim.dimValue) : null,
    elemType: tensorType.elemType ?? 0,
  };
}
