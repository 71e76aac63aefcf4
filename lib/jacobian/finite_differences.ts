/**
 * Central finite-difference Jacobians of a host (non-differentiable) batch
 * function such as an onnxruntime session, batched: one call of the function
 * per input variable covers every point and every perturbation.
 *
 * Error model of the central difference `D(h) = (f(x + h) - f(x - h)) / 2h`:
 * truncation `≈ h² |f'''| / 6` plus round-off `≈ ε |f| / h`, smallest near
 * `h ≈ ε^(1/3) · scale`. Richardson extrapolation `(4 D(h/2) - D(h)) / 3`
 * cancels the `h²` term (truncation `∝ h⁴`), best near `h ≈ ε^(1/5) · scale`.
 *
 * @module
 */
import { defaultNames, type Jacobians } from "./types.ts";

/**
 * A batch function evaluated outside tfjs: `x` is `[points, n]` row-major, the
 * result `[points, m]` row-major. Rows must be independent.
 */
export type HostFunction = (
  x: Float64Array,
  points: number,
) => Promise<Float64Array> | Float64Array;

/** Precision of the function's arithmetic; chooses the machine epsilon `ε`. */
export type FiniteDifferenceDtype = "float64" | "float32";

/** Machine epsilon per dtype: `2^-52` and `2^-23`. */
export const MACHINE_EPSILON: Readonly<Record<FiniteDifferenceDtype, number>> = {
  float64: 2 ** -52,
  float32: 2 ** -23,
};

/** Options of {@linkcode finiteDifferenceJacobian}. */
export interface FiniteDifferenceOptions {
  /** Number of points `N`. */
  points: number;
  /** Input width `n`. */
  inputWidth: number;
  /** Output width `m`. */
  outputWidth: number;
  /**
   * Step `h` in the input's units: one for all inputs or one per input (length `n`).
   * @default {ε^(1/3) · inputScale[j]}, or `ε^(1/5) · inputScale[j]` with `richardson`
   */
  step?: number | ArrayLike<number>;
  /**
   * The scale of each input (length `n`), e.g. the range `max - min` of its
   * min-max scaling, so the default step is a fixed fraction of it (the same
   * step in normalized coordinates for every input).
   * @default {the spread max - min of each input over the points, or max(1, |x|) when it is 0}
   */
  inputScale?: ArrayLike<number>;
  /**
   * Precision of `f`'s arithmetic. With `"float32"` the perturbed points are
   * rounded to float32 so that the step divided by is the step `f` sees.
   * @default {"float64"}
   */
  dtype?: FiniteDifferenceDtype;
  /**
   * Use Richardson extrapolation `(4 D(h/2) - D(h)) / 3` (twice the evaluations).
   * @default {false}
   */
  richardson?: boolean;
  /** Output names, length `m`. @default {["y1", …, "ym"]} */
  outputs?: readonly string[];
  /** Input names, length `n`. @default {["x1", …, "xn"]} */
  inputs?: readonly string[];
}

/**
 * Jacobians of `f` by central finite differences, float64.
 *
 * For each input `j`, the `2N` rows `x_k ± h_j e_j` (and with Richardson also
 * the `2N` rows `x_k ± h_j/2 e_j`) are stacked and `f` is called once on them:
 * `n` calls of `f` in total. The divisor is the step actually taken,
 * `(x + h) - (x - h)` as represented.
 *
 * @param f The function, `[B, n] -> [B, m]`.
 * @param x Points, `[N, n]` row-major.
 * @param options Sizes, step, dtype, Richardson.
 * @returns Jacobians `[N, m, n]`.
 * @throws {TypeError} If `x`, `step` or `inputScale` has the wrong length, or `f`
 *   returns the wrong number of values.
 * @throws {RangeError} If a size is not a positive integer or a step is not positive and finite.
 *
 * @example Usage
 * ```ts
 * import { finiteDifferenceJacobian } from "./finite_differences.ts";
 * // f(x) = x³ at x = 2: f' = 12
 * const cube = (x: Float64Array) => x.map((v) => v ** 3);
 * const jac = await finiteDifferenceJacobian(cube, new Float64Array([2]), {
 *   points: 1, inputWidth: 1, outputWidth: 1, inputScale: [1],
 * });
 * if (Math.abs(jac.values[0]! - 12) > 1e-8) throw new Error("inaccurate derivative");
 * ```
 */
export async function finiteDifferenceJacobian(
  f: HostFunction,
  x: Float64Array,
  options: FiniteDifferenceOptions,
): Promise<Jacobians> {
  const { points, inputWidth: n, outputWidth: m, dtype = "float64", richardson = false } = options;
  checkSizes(x, options);
  const inputs = options.inputs ?? defaultNames("x", n);
  const outputs = options.outputs ?? defaultNames("y", m);
  if (inputs.length !== n || outputs.length !== m) {
    throw new RangeError(
      `Cannot take finite differences: ${inputs.length} input and ${outputs.length} output names for a ${n} -> ${m} function`,
    );
  }
  const steps = resolveSteps(x, options, richardson ? 1 / 5 : 1 / 3);
  const round = dtype === "float32" ? Math.fround : (v: number) => v;
  const values = new Float64Array(points * m * n);
  const halves = richardson ? [1, 0.5] : [1];
  for (let j = 0; j < n; j++) {
    const h = steps[j]!;
    // Rows: for each step fraction s, N rows x + s h e_j, then N rows x - s h e_j.
    const rows = new Float64Array(halves.length * 2 * points * n);
    const divisors = new Float64Array(halves.length * points);
    halves.forEach((s, hi) => {
      const plus = hi * 2 * points;
      const minus = plus + points;
      for (let k = 0; k < points; k++) {
        const base = x.subarray(k * n, (k + 1) * n);
        rows.set(base, (plus + k) * n);
        rows.set(base, (minus + k) * n);
        const xp = round(base[j]! + s * h);
        const xm = round(base[j]! - s * h);
        rows[(plus + k) * n + j] = xp;
        rows[(minus + k) * n + j] = xm;
        divisors[hi * points + k] = xp - xm;
      }
    });
    const y = await f(rows, rows.length / n);
    if (y.length !== (rows.length / n) * m) {
      throw new TypeError(
        `Cannot take finite differences: the function returned ${y.length} values for ${
          rows.length / n
        } points of output width ${m}`,
      );
    }
    for (let k = 0; k < points; k++) {
      for (let i = 0; i < m; i++) {
        const central = (hi: number): number => {
          const plus = hi * 2 * points + k;
          const minus = plus + points;
          return (y[plus * m + i]! - y[minus * m + i]!) / divisors[hi * points + k]!;
        };
        const d = richardson ? (4 * central(1) - central(0)) / 3 : central(0);
        values[(k * m + i) * n + j] = d;
      }
    }
  }
  return { points, outputs: [...outputs], inputs: [...inputs], values };
}

/** Options of {@linkcode stepSweep}. */
export interface StepSweepOptions extends Omit<FiniteDifferenceOptions, "step" | "richardson"> {
  /**
   * Steps to try, as fractions of each input's scale (normalized coordinates):
   * input `j` is perturbed by `steps[s] · inputScale[j]`.
   */
  steps: readonly number[];
  /**
   * Jacobians to measure against.
   * @default {the Richardson estimate at its default step}
   */
  reference?: Jacobians;
}

/** One row of a {@linkcode stepSweep}: the central difference's error at one step. */
export interface StepSweepRow {
  /** Step as a fraction of each input's scale. */
  readonly step: number;
  /** `max |D(h) - J_ref|` over all points and entries. */
  readonly maxAbsError: number;
  /** `maxAbsError / max |J_ref|`. */
  readonly maxRelativeError: number;
}

/**
 * The central difference's own error as a function of the step: truncation
 * (`∝ h²`) dominates at large steps, round-off (`∝ ε/h`) at small ones, so the
 * curve is U-shaped with its floor near `ε^(1/3)`. Compared with `reference`
 * or, by default, the Richardson estimate.
 *
 * @param f The function, `[B, n] -> [B, m]`.
 * @param x Points, `[N, n]` row-major.
 * @param options Sizes, steps, reference.
 * @returns One row per step, in the order given.
 * @throws {TypeError} See {@linkcode finiteDifferenceJacobian}; also if `reference` has another shape.
 *
 * @example Usage
 * ```ts
 * import { stepSweep } from "./finite_differences.ts";
 * const sweep = await stepSweep((x: Float64Array) => x.map(Math.exp), new Float64Array([0.5]), {
 *   points: 1, inputWidth: 1, outputWidth: 1, inputScale: [1], steps: [1e-2, 6e-6],
 * });
 * if (!(sweep[1]!.maxAbsError < sweep[0]!.maxAbsError)) throw new Error("expected a smaller error");
 * ```
 */
export async function stepSweep(
  f: HostFunction,
  x: Float64Array,
  options: StepSweepOptions,
): Promise<StepSweepRow[]> {
  const { steps, reference, ...fdOptions } = options;
  checkSizes(x, fdOptions);
  const scale = resolveScale(x, fdOptions);
  const ref = reference ?? await finiteDifferenceJacobian(f, x, {
    ...fdOptions,
    inputScale: scale,
    richardson: true,
  });
  if (ref.values.length !== options.points * options.outputWidth * options.inputWidth) {
    throw new TypeError(
      `Cannot sweep steps: the reference has ${ref.values.length} entries, expected [${options.points}, ${options.outputWidth}, ${options.inputWidth}]`,
    );
  }
  let refMax = 0;
  for (const v of ref.values) refMax = Math.max(refMax, Math.abs(v));
  const rows: StepSweepRow[] = [];
  for (const s of steps) {
    const jac = await finiteDifferenceJacobian(f, x, {
      ...fdOptions,
      inputScale: scale,
      step: scale.map((c) => s * c),
    });
    let maxAbsError = 0;
    for (let e = 0; e < jac.values.length; e++) {
      maxAbsError = Math.max(maxAbsError, Math.abs(jac.values[e]! - ref.values[e]!));
    }
    rows.push({ step: s, maxAbsError, maxRelativeError: maxAbsError / (refMax || 1) });
  }
  return rows;
}

function checkSizes(
  x: Float64Array,
  options: { points: number; inputWidth: number; outputWidth: number },
): void {
  const { points, inputWidth: n, outputWidth: m } = options;
  for (
    const [what, v] of [["number of points", points], ["input width", n], [
      "output width",
      m,
    ]] as const
  ) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot take finite differences: ${what} ${v} is not an integer ≥ 1`);
    }
  }
  if (x.length !== points * n) {
    throw new TypeError(
      `Cannot take finite differences: ${x.length} input values do not fill [${points}, ${n}]`,
    );
  }
}

function resolveScale(
  x: Float64Array,
  options: { points: number; inputWidth: number; inputScale?: ArrayLike<number> },
): Float64Array {
  const { points, inputWidth: n, inputScale } = options;
  if (inputScale !== undefined) {
    if (inputScale.length !== n) {
      throw new TypeError(
        `Cannot take finite differences: ${inputScale.length} input scales for input width ${n}`,
      );
    }
    const scale = Float64Array.from(inputScale);
    scale.forEach((c, j) => {
      if (!(c > 0 && Number.isFinite(c))) {
        throw new RangeError(
          `Cannot take finite differences: input ${
            j + 1
          } has scale ${c}, expected a positive number`,
        );
      }
    });
    return scale;
  }
  const scale = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < points; k++) {
      lo = Math.min(lo, x[k * n + j]!);
      hi = Math.max(hi, x[k * n + j]!);
    }
    const spread = hi - lo;
    scale[j] = spread > 0 && Number.isFinite(spread) ? spread : Math.max(1, Math.abs(hi));
  }
  return scale;
}

function resolveSteps(
  x: Float64Array,
  options: FiniteDifferenceOptions,
  power: number,
): Float64Array {
  const n = options.inputWidth;
  const { step } = options;
  let steps: Float64Array;
  if (step === undefined) {
    const eps = MACHINE_EPSILON[options.dtype ?? "float64"];
    steps = resolveScale(x, options).map((c) => eps ** power * c);
  } else if (typeof step === "number") {
    steps = new Float64Array(n).fill(step);
  } else {
    if (step.length !== n) {
      throw new TypeError(
        `Cannot take finite differences: ${step.length} steps for input width ${n}`,
      );
    }
    steps = Float64Array.from(step);
  }
  steps.forEach((h, j) => {
    if (!(h > 0 && Number.isFinite(h))) {
      throw new RangeError(
        `Cannot take finite differences: input ${j + 1} has step ${h}, expected a positive number`,
      );
    }
  });
  return steps;
}
