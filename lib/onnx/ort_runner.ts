/**
 * The model's forward pass in onnxruntime-node, batched: any number of points,
 * chunked to the model's fixed batch size (last chunk padded) or, for a dynamic
 * batch, to bounded chunks, in float32 or in a float64 copy of the graph.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { encodeOnnxModel, type OnnxModel, toFloat64 } from "./model.ts";
import { DataType } from "./tensor.ts";
import { escapeControl } from "../io/quote.ts";
import { float64SessionError } from "./_float64_rewrites.ts";
import { runnerSessionOptions } from "./_session.ts";

/** Precision of an onnxruntime session. */
export type OrtDtype = "float32" | "float64";

/** Options of {@linkcode createOrtRunner}. */
export interface OrtRunnerOptions {
  /**
   * Precision: `"float64"` runs a float64 copy of the graph ({@linkcode toFloat64})
   * with `graphOptimizationLevel: "basic"`.
   * @default {"float32"} for a float model, `"float64"` for a double one
   */
  dtype?: OrtDtype;
  /**
   * Largest number of rows per onnxruntime call when the batch is dynamic:
   * small enough that a call's activations stay in cache (4096 measured
   * fastest or within 10 % of it for the bundled models in float32 and float64;
   * 16384 made a float64 efficient-KAN pass 1.2–1.3x slower per row).
   * @default {4096}
   */
  maxChunk?: number;
  /**
   * onnxruntime's own log level (0 verbose … 4 fatal). Its messages go to the
   * terminal unformatted (multi-line, coloured); its errors are also thrown, and
   * reach the caller as one line naming the file, so by default it logs nothing below fatal.
   * @default {4}
   */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** A loaded onnxruntime session that maps `[N, n]` inputs to `[N, m]` outputs. */
export interface OrtRunner {
  /** Input width `n`. */
  readonly inputWidth: number;
  /** Output width `m`. */
  readonly outputWidth: number;
  /** Precision of the session. */
  readonly dtype: OrtDtype;
  /**
   * Runs the model.
   *
   * @param x Normalized model inputs, shape `[points, n]`, row-major.
   * @param points Number of rows `N` (0 allowed).
   * @returns Normalized model outputs, shape `[N, m]`, row-major, as float64.
   * @throws {TypeError} If `x.length !== points * n`.
   */
  run(x: Float64Array, points: number): Promise<Float64Array>;
  /** Releases the session. */
  release(): Promise<void>;
}

const DEFAULT_MAX_CHUNK = 4096;

// onnxruntime's own log (multi-line, coloured) stays quiet: its failures reach the caller as
// errors that name the file (see ortError).
ort.env.logLevel = "fatal";

/**
 * Creates an onnxruntime-node session for `model`.
 *
 * @param model A model with one 2-D input `[batch, n]` and one 2-D output `[batch, m]`.
 * @param options Precision and chunk size.
 * @throws {TypeError} If float32 is asked of a double model, or onnxruntime
 * cannot run the float64 copy (naming the file and the op without a double kernel).
 *
 * @example Usage
 * ```ts
 * import onnxProto from "onnx-proto";
 * import { decodeOnnxModel } from "./model.ts";
 * import { createOrtRunner } from "./ort_runner.ts";
 * const vi = (name: string) => ({
 *   name,
 *   type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: 2 }] } } },
 * });
 * const bytes = onnxProto.onnx.ModelProto.encode({
 *   irVersion: 8,
 *   opsetImport: [{ domain: "", version: 17 }],
 *   graph: { node: [{ opType: "Relu", input: ["x"], output: ["y"] }], input: [vi("x")], output: [vi("y")] },
 * }).finish();
 * const runner = await createOrtRunner(decodeOnnxModel(bytes, "relu.onnx"), { dtype: "float64" });
 * const y = await runner.run(new Float64Array([-1, 2, 3, -4]), 2);
 * await runner.release();
 * if (y.join(",") !== "0,2,3,0") throw new Error(`got ${y}`);
 * ```
 */
export async function createOrtRunner(
  model: OnnxModel,
  options: OrtRunnerOptions = {},
): Promise<OrtRunner> {
  const isDouble = model.input.elemType === DataType.DOUBLE;
  const dtype: OrtDtype = options.dtype ?? (isDouble ? "float64" : "float32");
  if (dtype === "float32" && isDouble) {
    throw new TypeError(`Cannot run ${model.source} in float32: its input is double`);
  }
  const maxChunk = options.maxChunk ?? DEFAULT_MAX_CHUNK;
  if (!Number.isInteger(maxChunk) || maxChunk < 1) {
    throw new RangeError(
      `Cannot run ${model.source}: maxChunk ${maxChunk} is not a positive integer`,
    );
  }
  const graph = dtype === "float64" && !isDouble ? toFloat64(model) : model;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(
      encodeOnnxModel(graph),
      runnerSessionOptions({
        float64: dtype === "float64",
        logSeverityLevel: options.logSeverityLevel ?? 4,
      }),
    );
  } catch (error) {
    throw graph === model
      ? ortError(error, model.source, "load")
      : float64SessionError(error, model.source);
  }
  const n = model.input.width;
  const m = model.output.width;
  const fixed = model.input.batch;
  const chunk = fixed ?? maxChunk;
  const inputName = graph.input.name;
  const outputName = graph.output.name;
  const ortType = dtype === "float64" ? "float64" : "float32";

  async function runChunk(x: Float64Array, start: number, rows: number, out: Float64Array) {
    const size = fixed ?? rows;
    const buffer = dtype === "float64" ? new Float64Array(size * n) : new Float32Array(size * n);
    buffer.set(x.subarray(start * n, (start + rows) * n));
    const feeds = { [inputName]: new ort.Tensor(ortType, buffer, [size, n]) };
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await session.run(feeds);
    } catch (error) {
      throw ortError(error, model.source, "run");
    }
    const y = result[outputName];
    if (!y) throw new TypeError(`Cannot run ${model.source}: no output "${outputName}"`);
    const data = y.data as Float32Array | Float64Array;
    if (data.length !== size * m) {
      throw new TypeError(
        `Cannot run ${model.source}: output "${outputName}" has shape [${
          y.dims.join(", ")
        }], expected [${size}, ${m}]`,
      );
    }
    for (let i = 0; i < rows * m; i++) out[start * m + i] = data[i]!;
    y.dispose();
  }

  return {
    inputWidth: n,
    outputWidth: m,
    dtype,
    async run(x: Float64Array, points: number): Promise<Float64Array> {
      if (!Number.isInteger(points) || points < 0) {
        throw new RangeError(`Cannot run ${model.source}: ${points} is not a number of points`);
      }
      if (x.length !== points * n) {
        throw new TypeError(
          `Cannot run ${model.source}: the model takes ${n} inputs per point, got ${x.length} values for ${points} points`,
        );
      }
      const out = new Float64Array(points * m);
      for (let start = 0; start < points; start += chunk) {
        await runChunk(x, start, Math.min(chunk, points - start), out);
      }
      return out;
    },
    release(): Promise<void> {
      return session.release();
    },
  };
}

/**
 * onnxruntime's failure as one line naming the file: its first line (which
 * names the node), control characters escaped, at most 300 characters.
 */
export function ortError(error: unknown, source: string, what: "load" | "run"): TypeError {
  let text = (error instanceof Error ? error.message : String(error)).split("\n")[0]!.trim();
  // "… [ONNXRuntimeError] : 1 : FAIL : file.cc:123 Function Reason": keep the reason.
  const status = /\[ONNXRuntimeError\] : \d+ : \w+ : (.*)$/.exec(text);
  if (status) text = status[1]!;
  text = text.replace(/^\[[^\]]*\]\s*/, "").replace(/(\/?[\w./-]+\.(cc|h|cpp):\d+\s*)+/g, "")
    .trim();
  const clipped = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  return new TypeError(`Cannot ${what} ${source} in onnxruntime: ${escapeControl(clipped)}`);
}
