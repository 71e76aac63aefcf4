/**
 * Private: reads intermediate tensors of a model by running onnxruntime on a
 * copy of its protobuf with those tensors added as extra graph outputs, in the
 * model's own precision.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import type { OnnxModel } from "../onnx/model.ts";
import { DataType } from "../onnx/tensor.ts";

/** An intermediate tensor's values at the evaluation points, as float64. */
export interface ProbedTensor {
  /** Dims, the first being the number of points `N`. */
  readonly dims: readonly number[];
  /** Values, row-major. */
  readonly data: Float64Array;
}

/**
 * Runs `model` at `x` ([points, n], normalized model inputs) and returns the
 * values of the named intermediate tensors (all float, batch axis first).
 * The model input itself may be named: it is returned as given (rounded to
 * float32 for a float model).
 *
 * @throws {TypeError} If `x.length !== points * n` or a tensor does not keep the batch axis first.
 */
export async function probeTensors(
  model: OnnxModel,
  x: Float64Array,
  points: number,
  names: readonly string[],
): Promise<Map<string, ProbedTensor>> {
  const n = model.input.width;
  if (!Number.isInteger(points) || points < 1) {
    throw new RangeError(`Cannot diagnose ${model.source}: ${points} is not a number of points`);
  }
  if (x.length !== points * n) {
    throw new TypeError(
      `Cannot diagnose ${model.source}: the model takes ${n} inputs per point, got ${x.length} values for ${points} points`,
    );
  }
  const isDouble = model.input.elemType === DataType.DOUBLE;
  const wanted = [...new Set(names)];
  const result = new Map<string, ProbedTensor>();
  const inputName = model.input.name;
  if (wanted.includes(inputName)) {
    result.set(inputName, {
      dims: [points, n],
      data: isDouble ? Float64Array.from(x) : Float64Array.from(Float32Array.from(x)),
    });
  }
  const fetch = wanted.filter((name) => name !== inputName);
  if (fetch.length === 0) return result;

  const proto = onnxProto.onnx.ModelProto.decode(
    onnxProto.onnx.ModelProto.encode(model.proto).finish(),
  );
  const graph = proto.graph!;
  const outputs = graph.output ?? [];
  graph.output = outputs;
  const existing = new Set(outputs.map((o) => o.name ?? ""));
  const elemType = isDouble ? DataType.DOUBLE : DataType.FLOAT;
  for (const name of fetch) {
    if (existing.has(name)) continue;
    outputs.push(onnxProto.onnx.ValueInfoProto.create({
      name,
      type: onnxProto.onnx.TypeProto.create({
        tensorType: onnxProto.onnx.TypeProto.Tensor.create({ elemType }),
      }),
    }));
  }
  const session = await ort.InferenceSession.create(
    onnxProto.onnx.ModelProto.encode(proto).finish(),
    { graphOptimizationLevel: "basic", logSeverityLevel: 4 },
  );
  try {
    const chunk = model.input.batch ?? points;
    const parts = new Map<string, { dims: number[]; chunks: Float64Array[] }>();
    for (let start = 0; start < points; start += chunk) {
      const rows = Math.min(chunk, points - start);
      const size = model.input.batch ?? rows;
      const buffer = isDouble ? new Float64Array(size * n) : new Float32Array(size * n);
      buffer.set(x.subarray(start * n, (start + rows) * n));
      const feeds = {
        [inputName]: new ort.Tensor(isDouble ? "float64" : "float32", buffer, [size, n]),
      };
      const out = await session.run(feeds, fetch);
      for (const name of fetch) {
        const t = out[name];
        if (!t) throw new TypeError(`Cannot diagnose ${model.source}: no value for "${name}"`);
        const dims = t.dims.map(Number);
        if (dims[0] !== size || t.data.length % size !== 0) {
          throw new TypeError(
            `Cannot diagnose ${model.source}: tensor "${name}" has shape [${
              dims.join(", ")
            }], expected the batch (${size}) first`,
          );
        }
        const perRow = t.data.length / size;
        const data = Float64Array.from(
          (t.data as Float32Array | Float64Array).subarray(0, rows * perRow),
        );
        const entry = parts.get(name) ?? { dims: dims.slice(1), chunks: [] };
        entry.chunks.push(data);
        parts.set(name, entry);
      }
      // Only now: onnxruntime may hand out outputs that share one buffer (a Reshape or
      // Unsqueeze of another fetched value), and disposing one frees what the other reads.
      for (const t of new Set(fetch.map((name) => out[name]!))) t.dispose();
    }
    for (const [name, { dims, chunks }] of parts) {
      const total = chunks.reduce((s, c) => s + c.length, 0);
      const data = new Float64Array(total);
      let offset = 0;
      for (const c of chunks) {
        data.set(c, offset);
        offset += c.length;
      }
      result.set(name, { dims: [points, ...dims], data });
    }
  } finally {
    await session.release();
  }
  return result;
}
