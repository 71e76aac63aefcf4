/**
 * The ONNX model rebuilt as a differentiable TensorFlow.js function.
 *
 * @module
 */
import { tf } from "../tf/backend.ts";
import type { HostTensor } from "../onnx/tensor.ts";
import type { OnnxModel } from "../onnx/model.ts";
import { compileGraph } from "./interpreter.ts";
import { toTensor } from "./value.ts";
// deno-lint-ignore no-unused-vars
import type { makeBatchDynamic } from "../onnx/dynamic_batch.ts";

/** A differentiable tfjs function with the model's input and output. */
export interface TfModel {
  /** Input width `n`. */
  readonly inputWidth: number;
  /** Output width `m`. */
  readonly outputWidth: number;
  /** Float initializers as float32 tensors, by initializer name (owned by the model). */
  readonly parameters: ReadonlyMap<string, tf.Tensor>;
  /**
   * `y = f(x)` in float32.
   *
   * @param x Normalized model inputs, shape `[N, n]`, float32.
   * @param overrides Tensors replacing named float initializers for this call
   *   (e.g. `tf.Variable`s, or tensors computed from them inside a gradient
   *   tape), so gradients flow to them.
   * A graph whose input fixes the batch size runs in chunks of that many rows
   * (the last one padded); {@linkcode makeBatchDynamic} removes the need where it can.
   * @returns Normalized model outputs, shape `[N, m]`. No other tensor is left
   *   allocated, so `apply` may run inside `tf.grad` or `tf.tidy`.
   * @throws {TypeError} If `x` is not `[N, n]`.
   * @throws {RangeError} If an override names no float initializer or has other dims.
   */
  apply(x: tf.Tensor2D, overrides?: ReadonlyMap<string, tf.Tensor>): tf.Tensor2D;
  /** Disposes the parameter tensors. */
  dispose(): void;
}

/** Options of {@linkcode buildTfModel}. */
export interface BuildTfModelOptions {
  /**
   * Values replacing initializers at build time (same dims), e.g. mapped PyTorch weights.
   * @default {undefined} (the ONNX file's own values)
   */
  parameters?: ReadonlyMap<string, HostTensor>;
}

/**
 * Rebuilds the model's graph in tfjs. All planning happens here (op support,
 * attributes, constant folding, parameter upload); `apply` only evaluates.
 * Call `await initTf()` first.
 *
 * @param model The ONNX model (`[batch, n]` -> `[batch, m]`).
 * @param options Replacement initializer values.
 * @throws {UnsupportedOpError} If a node's op or domain has no translator.
 * @throws {RangeError} If a replacement names no initializer or changes its dims.
 *
 * @example Usage
 * ```ts
 * import onnxProto from "onnx-proto";
 * import { decodeOnnxModel } from "../onnx/model.ts";
 * import { initTf, tf } from "../tf/backend.ts";
 * import { buildTfModel } from "./tf_model.ts";
 * await initTf();
 * const vi = (name: string, width: number) => ({
 *   name,
 *   type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: width }] } } },
 * });
 * const w = { name: "w", dims: [2, 1], dataType: 1, floatData: [3, -2] };
 * const bytes = onnxProto.onnx.ModelProto.encode({
 *   irVersion: 8,
 *   opsetImport: [{ domain: "", version: 17 }],
 *   graph: {
 *     node: [{ opType: "MatMul", input: ["x", "w"], output: ["y"] }],
 *     initializer: [w],
 *     input: [vi("x", 2)],
 *     output: [vi("y", 1)],
 *   },
 * }).finish();
 * const model = buildTfModel(decodeOnnxModel(bytes, "linear.onnx"));
 * const dydx = tf.tidy(() =>
 *   tf.grad((x: tf.Tensor) => model.apply(x as tf.Tensor2D).sum())(tf.tensor2d([[1, 1]])).arraySync()
 * );
 * model.dispose();
 * if (JSON.stringify(dydx) !== "[[3,-2]]") throw new Error(`got ${dydx}`);
 * ```
 */
export function buildTfModel(model: OnnxModel, options: BuildTfModelOptions = {}): TfModel {
  const graph = compileGraph(model.proto.graph ?? {}, {
    opset: model.opset,
    source: model.source,
    ...(options.parameters ? { parameters: options.parameters } : {}),
  });
  const n = model.input.width;
  const m = model.output.width;
  const inputName = model.input.name;
  const fixed = model.input.batch;
  /** The graph on rows of exactly its fixed batch size (or any size when dynamic). */
  const run = (x: tf.Tensor2D, overrides?: ReadonlyMap<string, tf.Tensor>) => {
    const feeds = new Map([[inputName, x.dtype === "float32" ? x : tf.cast(x, "float32")]]);
    const [y] = graph.run(feeds, overrides);
    return toTensor(y!);
  };
  /** A fixed batch: chunks of that many rows, the last one padded with zeros and cut back. */
  const runChunked = (
    x: tf.Tensor2D,
    batch: number,
    overrides?: ReadonlyMap<string, tf.Tensor>,
  ) => {
    const rows = x.shape[0];
    if (rows === 0) return tf.zeros([0, m]);
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < rows; start += batch) {
      const size = Math.min(batch, rows - start);
      let chunk: tf.Tensor2D = tf.slice(x, [start, 0], [size, n]);
      if (size < batch) chunk = tf.concat([chunk, tf.zeros([batch - size, n], chunk.dtype)]);
      const y = run(chunk, overrides);
      parts.push(size < batch ? tf.slice(y, [0, 0], [size, y.shape[1] ?? m]) : y);
    }
    return parts.length === 1 ? parts[0]! : tf.concat(parts);
  };
  return {
    inputWidth: n,
    outputWidth: m,
    parameters: graph.parameters,
    apply(x, overrides) {
      if (x.rank !== 2 || x.shape[1] !== n) {
        throw new TypeError(
          `Cannot run ${model.source}: the model takes [N, ${n}] inputs, got [${
            x.shape.join(", ")
          }]`,
        );
      }
      return tf.tidy(() => {
        const t = fixed === null || x.shape[0] === fixed
          ? run(x, overrides)
          : runChunked(x, fixed, overrides);
        if (t.rank !== 2 || t.shape[0] !== x.shape[0] || t.shape[1] !== m) {
          throw new TypeError(
            `Cannot run ${model.source}: output has shape [${t.shape.join(", ")}], expected [${
              x.shape[0]
            }, ${m}]`,
          );
        }
        return t.dtype === "float32" ? (t as tf.Tensor2D) : (tf.cast(t, "float32") as tf.Tensor2D);
      });
    },
    dispose() {
      graph.dispose();
    },
  };
}
