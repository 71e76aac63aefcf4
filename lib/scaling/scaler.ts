/**
 * Per-variable affine scalers between physical and normalized units.
 *
 * Every kind is written as `xn = lo + width · (x − center) / spread`, which is
 * affine: `xn = scale · x + offset` with `scale = width / spread` and
 * `offset = lo − center · scale`. Values are computed in the first form, so
 * min-max to [0, 1] is exactly the user's `(x − min) / (max − min)` and its
 * inverse exactly `min + xn · (max − min)`, bit for bit.
 *
 * @module
 */

/** The kinds of scaling. */
export type ScalerKind = "minmax" | "zscore" | "identity";

interface ScalerBase {
  /** Variable name, as in the inputs CSV header or the output column. */
  readonly name: string;
  /** The kind of scaling. */
  readonly kind: ScalerKind;
  /** `d xn / d x`, positive. */
  readonly scale: number;
  /** `xn` at `x = 0`: `xn = scale · x + offset`. */
  readonly offset: number;
}

/** Min-max scaling of `[min, max]` onto `[a, b]` (default `[0, 1]`). */
export interface MinMaxScaler extends ScalerBase {
  readonly kind: "minmax";
  /** Physical lower end, maps to `a`. */
  readonly min: number;
  /** Physical upper end (`> min`), maps to `b`. */
  readonly max: number;
  /** Normalized image of `min`. */
  readonly a: number;
  /** Normalized image of `max` (`> a`). */
  readonly b: number;
}

/** Standardization `(x − mean) / std`. */
export interface ZScoreScaler extends ScalerBase {
  readonly kind: "zscore";
  /** Physical mean, maps to 0. */
  readonly mean: number;
  /** Physical standard deviation (`> 0`), maps to a unit step. */
  readonly std: number;
}

/** No scaling: the model works in physical units. */
export interface IdentityScaler extends ScalerBase {
  readonly kind: "identity";
}

/** One variable's scaler. */
export type VariableScaler = MinMaxScaler | ZScoreScaler | IdentityScaler;

/** The scaling of a model: its inputs (width `n`) and outputs (width `m`), in model order. */
export interface Scaling {
  /** Input scalers, physical → normalized before the model. */
  readonly inputs: readonly VariableScaler[];
  /** Output scalers; the model's normalized outputs are mapped back with the inverse. */
  readonly outputs: readonly VariableScaler[];
}

/** Parameters of {@linkcode minMaxScaler}. */
export interface MinMaxParameters {
  /** Physical lower end. */
  min: number;
  /** Physical upper end, `> min`. */
  max: number;
  /**
   * Normalized target range `[a, b]`, `a < b`.
   * @default {[0, 1]}
   */
  range?: readonly [number, number];
}

/**
 * Min-max scaler: `xn = a + (b − a) · (x − min) / (max − min)`.
 *
 * @throws {RangeError} If a parameter is not finite, `max <= min` or `b <= a` (names the variable).
 *
 * @example Usage
 * ```ts
 * import { minMaxScaler } from "./scaler.ts";
 * const s = minMaxScaler("x1", { min: 0.5, max: 2.5 });
 * if (s.scale !== 0.5 || s.offset !== -0.25) throw new Error("unexpected scaler");
 * ```
 */
export function minMaxScaler(name: string, parameters: MinMaxParameters): MinMaxScaler {
  const { min, max, range = [0, 1] } = parameters;
  const [a, b] = range;
  checkFinite(name, { min, max, a, b });
  if (!(max > min)) {
    throw new RangeError(
      `Cannot scale "${name}": min ${min} >= max ${max} (the range must be positive)`,
    );
  }
  if (!(b > a)) throw new RangeError(`Cannot scale "${name}": target range [${a}, ${b}] is empty`);
  const scale = (b - a) / (max - min);
  const offset = a - min * scale;
  checkAffine(name, scale, offset, `range max - min = ${max - min}`);
  return { name, kind: "minmax", min, max, a, b, scale, offset };
}

/**
 * Z-score scaler: `xn = (x − mean) / std`.
 *
 * @throws {RangeError} If a parameter is not finite or `std <= 0` (names the variable).
 *
 * @example Usage
 * ```ts
 * import { zScoreScaler } from "./scaler.ts";
 * const s = zScoreScaler("x1", { mean: 1, std: 2 });
 * if (s.scale !== 0.5 || s.offset !== -0.5) throw new Error("unexpected scaler");
 * ```
 */
export function zScoreScaler(
  name: string,
  parameters: { mean: number; std: number },
): ZScoreScaler {
  const { mean, std } = parameters;
  checkFinite(name, { mean, std });
  if (!(std > 0)) throw new RangeError(`Cannot scale "${name}": std ${std} is not positive`);
  checkAffine(name, 1 / std, -mean / std, `std ${std}`);
  return { name, kind: "zscore", mean, std, scale: 1 / std, offset: -mean / std };
}

/** Identity scaler: `xn = x`. */
export function identityScaler(name: string): IdentityScaler {
  return { name, kind: "identity", scale: 1, offset: 0 };
}

/**
 * A scaling that leaves every variable in physical units, named `x1..xn` and `y1..ym`.
 *
 * @throws {RangeError} If a count is not a positive integer.
 *
 * @example Usage
 * ```ts
 * import { identityScaling } from "./scaler.ts";
 * const s = identityScaling(2, 1);
 * if (s.inputs[1]?.name !== "x2" || s.outputs[0]?.name !== "y1") throw new Error("unexpected names");
 * ```
 */
export function identityScaling(inputCount: number, outputCount: number): Scaling {
  for (const [what, count] of [["input", inputCount], ["output", outputCount]] as const) {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new RangeError(`Cannot make a scaling: the ${what} count ${count} is not positive`);
    }
  }
  return {
    inputs: Array.from({ length: inputCount }, (_, j) => identityScaler(`x${j + 1}`)),
    outputs: Array.from({ length: outputCount }, (_, i) => identityScaler(`y${i + 1}`)),
  };
}

/**
 * `d xn / d x` of a scaler (its `scale`); `d x / d xn` is the reciprocal.
 *
 * @example Usage
 * ```ts
 * import { minMaxScaler, scalerDerivative } from "./scaler.ts";
 * if (scalerDerivative(minMaxScaler("x", { min: 1, max: 5 })) !== 0.25) throw new Error("wrong");
 * ```
 */
export function scalerDerivative(scaler: VariableScaler): number {
  return scaler.scale;
}

/**
 * The four numbers of the canonical form `xn = lo + width · (x − center) / spread`.
 * Shared by the float64 and the tensor code so both compute the same expression.
 */
export function canonicalForm(
  scaler: VariableScaler,
): { center: number; spread: number; lo: number; width: number } {
  switch (scaler.kind) {
    case "minmax":
      return {
        center: scaler.min,
        spread: scaler.max - scaler.min,
        lo: scaler.a,
        width: scaler.b - scaler.a,
      };
    case "zscore":
      return { center: scaler.mean, spread: scaler.std, lo: 0, width: 1 };
    case "identity":
      return { center: 0, spread: 1, lo: 0, width: 1 };
  }
}

/**
 * Physical → normalized units, column `j` by `scalers[j]`.
 *
 * @param scalers One scaler per column, width `k`.
 * @param x Values, shape `[N, k]` row-major, physical units, float64.
 * @returns A new array, shape `[N, k]`, normalized units.
 * @throws {TypeError} If `x.length` is not a multiple of `k`.
 *
 * @example Usage
 * ```ts
 * import { minMaxScaler, normalize } from "./scaler.ts";
 * const xn = normalize([minMaxScaler("x", { min: 0, max: 4 })], new Float64Array([1, 4]));
 * if (xn[0] !== 0.25 || xn[1] !== 1) throw new Error("unexpected values");
 * ```
 */
export function normalize(scalers: readonly VariableScaler[], x: Float64Array): Float64Array {
  const k = checkWidth(scalers, x, "normalize");
  const forms = scalers.map(canonicalForm);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const f = forms[i % k]!;
    out[i] = f.lo + f.width * ((x[i]! - f.center) / f.spread);
  }
  return out;
}

/**
 * Normalized → physical units, the inverse of {@linkcode normalize}:
 * `x = center + spread · (xn − lo) / width`.
 *
 * @param scalers One scaler per column, width `k`.
 * @param xn Values, shape `[N, k]` row-major, normalized units, float64.
 * @returns A new array, shape `[N, k]`, physical units.
 * @throws {TypeError} If `xn.length` is not a multiple of `k`.
 *
 * @example Usage
 * ```ts
 * import { denormalize, minMaxScaler } from "./scaler.ts";
 * const x = denormalize([minMaxScaler("y", { min: 10, max: 20 })], new Float64Array([0.5]));
 * if (x[0] !== 15) throw new Error("unexpected value");
 * ```
 */
export function denormalize(scalers: readonly VariableScaler[], xn: Float64Array): Float64Array {
  const k = checkWidth(scalers, xn, "denormalize");
  const forms = scalers.map(canonicalForm);
  const out = new Float64Array(xn.length);
  for (let i = 0; i < xn.length; i++) {
    const f = forms[i % k]!;
    out[i] = f.center + f.spread * ((xn[i]! - f.lo) / f.width);
  }
  return out;
}

function checkWidth(scalers: readonly VariableScaler[], x: Float64Array, action: string): number {
  const k = scalers.length;
  if (k === 0) throw new TypeError(`Cannot ${action}: no scalers`);
  if (x.length % k !== 0) {
    throw new TypeError(
      `Cannot ${action}: ${x.length} values do not fill rows of ${k} variables (${
        scalers.map((s) => s.name).join(", ")
      })`,
    );
  }
  return k;
}

/**
 * Refuses constants whose scaling overflows float64: a range beyond ±1.8e308,
 * a std or range so small that its reciprocal is infinite (5e-324), or one
 * that makes the scale underflow to 0.
 */
function checkAffine(name: string, scale: number, offset: number, what: string): void {
  if (!Number.isFinite(scale) || scale <= 0 || !Number.isFinite(offset)) {
    throw new RangeError(
      `Cannot scale "${name}": ${what} overflows float64 (scale ${scale}, offset ${offset})`,
    );
  }
}

function checkFinite(name: string, values: Record<string, number>): void {
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new RangeError(`Cannot scale "${name}": ${key} ${value} is not a finite number`);
    }
  }
}
