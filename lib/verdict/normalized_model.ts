/**
 * The model in normalized units as the audits see it: values at a batch of
 * normalized points, from the float64 onnxruntime copy of the graph (smooth
 * enough for the audits' finite differences).
 *
 * @module
 */
import type { OrtRunner } from "../onnx/ort_runner.ts";

/** A model `[N, n] → [N, m]` in normalized units. */
export interface NormalizedModel {
  /** Input width `n`. */
  readonly inputWidth: number;
  /** Output width `m`. */
  readonly outputWidth: number;
  /**
   * Values at normalized points.
   *
   * @param xn Points `[N, n]`, row-major, normalized units.
   * @returns `[N, m]`, row-major, normalized units.
   */
  forward(xn: Float64Array, points: number): Promise<Float64Array>;
}

/**
 * A {@linkcode NormalizedModel} over an onnxruntime session; give it the
 * float64 session (`surrogate.ortRunner("float64")`) so that differences of
 * nearby values are not float32 noise.
 *
 * @example Usage
 * ```ts
 * import { ortNormalizedModel } from "./normalized_model.ts";
 * // a stand-in session: y = [x1 · x2]
 * const runner = {
 *   inputWidth: 2, outputWidth: 1, dtype: "float64" as const, release: async () => {},
 *   run: (x: Float64Array, points: number) =>
 *     Promise.resolve(Float64Array.from({ length: points }, (_, k) => x[2 * k]! * x[2 * k + 1]!)),
 * };
 * const y = await ortNormalizedModel(runner).forward(new Float64Array([2, 3]), 1);
 * if (y[0] !== 6) throw new Error(`got ${y}`);
 * ```
 */
export function ortNormalizedModel(runner: OrtRunner): NormalizedModel {
  return {
    inputWidth: runner.inputWidth,
    outputWidth: runner.outputWidth,
    forward: (xn, points) => runner.run(xn, points),
  };
}
