/**
 * Runs a derivative model in onnxruntime-node: any number of points, in
 * chunks, returning `y`, `J` and (order 2) `H` as float64 arrays.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { runnerSessionOptions } from "../_session.ts";
import type { DerivativeModel } from "./derivative_model.ts";

/** Options of {@linkcode createDerivativeRunner}. */
export interface DerivativeRunnerOptions {
  /**
   * Rows per onnxruntime call when the batch is dynamic: small enough that a
   * chunk's tangents (`n` times its activations) stay in cache (1024 measured
   * fastest for the bundled models).
   * @default {1024}
   */
  maxChunk?: number;
}

/** Values of a derivative model at a batch of points. */
export interface DerivativeValues {
  /** `[N, m]`, the model's output in the derivative model's output units. */
  readonly y: Float64Array;
  /** `[N, m, n]`, `∂y_i/∂x_j`. */
  readonly jacobian: Float64Array;
  /** `[N, m, n, n]`, `∂²y_i/∂x_j∂x_k`, for an order-2 model. */
  readonly hessian?: Float64Array;
}

/** A loaded derivative model. */
export interface DerivativeRunner {
  /** The model it runs. */
  readonly model: DerivativeModel;
  /**
   * Runs the model on `points` rows of `x` (`[N, n]`, row-major, the units of
   * the model's input).
   *
   * @throws {TypeError} If `x.length !== points * n`.
   */
  run(x: Float64Array, points: number): Promise<DerivativeValues>;
  /** Releases the session. */
  release(): Promise<void>;
}

const DEFAULT_MAX_CHUNK = 1024;

/**
 * Creates an onnxruntime session for a derivative model (float64 graphs with
 * `graphOptimizationLevel: "basic"`, whose fusions keep double kernels).
 *
 * @throws {Error} Naming the op if onnxruntime cannot load the model.
 */
export async function createDerivativeRunner(
  model: DerivativeModel,
  options: DerivativeRunnerOptions = {},
): Promise<DerivativeRunner> {
  const maxChunk = options.maxChunk ?? DEFAULT_MAX_CHUNK;
  if (!Number.isInteger(maxChunk) || maxChunk < 1) {
    throw new RangeError(
      `Cannot run the derivative model: maxChunk ${maxChunk} is not a positive integer`,
    );
  }
  const session = await ort.InferenceSession.create(
    onnxProto.onnx.ModelProto.encode(model.proto).finish(),
    runnerSessionOptions({ float64: model.dtype === "float64", logSeverityLevel: 3 }),
  );
  const n = model.inputWidth;
  const m = model.outputWidth;
  const chunk = model.batch ?? maxChunk;
  const isDouble = model.dtype === "float64";
  const fetches = [model.output, model.jacobian, ...(model.hessian ? [model.hessian] : [])];
  const widths = [m, m * n, m * n * n];

  return {
    model,
    async run(x, points) {
      if (!Number.isInteger(points) || points < 0 || x.length !== points * n) {
        throw new TypeError(
          `Cannot run the derivative model: ${x.length} values do not fill [${points}, ${n}]`,
        );
      }
      const outs = fetches.map((_, k) => new Float64Array(points * widths[k]!));
      for (let start = 0; start < points; start += chunk) {
        const rows = Math.min(chunk, points - start);
        const size = model.batch ?? rows;
        const buffer = isDouble ? new Float64Array(size * n) : new Float32Array(size * n);
        buffer.set(x.subarray(start * n, (start + rows) * n));
        const feed = new ort.Tensor(isDouble ? "float64" : "float32", buffer, [size, n]);
        const result = await session.run({ [model.input]: feed }, fetches);
        fetches.forEach((name, k) => {
          const t = result[name]!;
          const w = widths[k]!;
          outs[k]!.set((t.data as Float32Array | Float64Array).subarray(0, rows * w), start * w);
          t.dispose();
        });
      }
      const [y, jacobian, hessian] = outs as [Float64Array, Float64Array, Float64Array?];
      return hessian ? { y, jacobian, hessian } : { y, jacobian };
    },
    release: () => session.release(),
  };
}
