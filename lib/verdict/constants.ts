/**
 * A scaler's constants as a user writes them (min/max, mean/std), and scalers
 * rebuilt from an affine map `x̂ = scale · x + offset` in the kind of a file's row.
 *
 * @module
 */
import {
  canonicalForm,
  minMaxScaler,
  type VariableScaler,
  zScoreScaler,
} from "../scaling/scaler.ts";

/** Min-max constants (also used for identity rows, which are min 0, max 1). */
export interface MinMaxConstants {
  readonly min: number;
  readonly max: number;
}

/** Z-score constants. */
export interface ZScoreConstants {
  readonly mean: number;
  readonly std: number;
}

/** The constants of one scaling row, in the form of its kind. */
export type ScalerConstants = MinMaxConstants | ZScoreConstants;

/**
 * The constants of `like`'s kind for the affine map `x̂ = scale · x + offset`:
 * min/max (the physical values mapped to `like`'s normalized ends; `[0, 1]` for
 * identity rows) or mean/std. A negative `scale` gives `min > max`.
 *
 * @example Usage
 * ```ts
 * import { minMaxScaler } from "../scaling/scaler.ts";
 * import { constantsFromAffine } from "./constants.ts";
 * const c = constantsFromAffine(minMaxScaler("x", { min: 0, max: 1 }), 0.5, -0.25);
 * if (!("min" in c) || c.min !== 0.5 || c.max !== 2.5) throw new Error("unexpected constants");
 * ```
 */
export function constantsFromAffine(
  like: VariableScaler,
  scale: number,
  offset: number,
): ScalerConstants {
  if (like.kind === "zscore") return { mean: -offset / scale, std: 1 / scale };
  const { lo, width } = canonicalForm(like);
  return { min: (lo - offset) / scale, max: (lo + width - offset) / scale };
}

/** The constants of a scaler as written in its file. */
export function constantsOf(s: VariableScaler): ScalerConstants {
  return constantsFromAffine(s, s.scale, s.offset);
}

/**
 * A scaler of `like`'s kind and name whose affine map is `x̂ = scale · x + offset`
 * (identity rows become min-max to [0, 1]), or `undefined` when `scale` is not
 * positive and finite.
 */
export function scalerFromAffine(
  like: VariableScaler,
  scale: number,
  offset: number,
): VariableScaler | undefined {
  if (!(scale > 0) || !Number.isFinite(scale) || !Number.isFinite(offset)) return undefined;
  const c = constantsFromAffine(like, scale, offset);
  if ("mean" in c) return zScoreScaler(like.name, c);
  const range: [number, number] = like.kind === "minmax" ? [like.a, like.b] : [0, 1];
  return minMaxScaler(like.name, { min: c.min, max: c.max, range });
}

/** `like`'s kind and name with `numbers`' affine map (a row whose numbers were swapped in). */
export function renamedScaler(like: VariableScaler, numbers: VariableScaler): VariableScaler {
  return { ...numbers, name: like.name };
}

/**
 * How far `implied` is from `file`: the largest change of a constant, as a
 * fraction of the file's range (min-max) or standard deviation (z-score).
 */
export function constantsChange(file: ScalerConstants, implied: ScalerConstants): number {
  if ("mean" in file && "mean" in implied) {
    return Math.max(Math.abs(implied.mean - file.mean), Math.abs(implied.std - file.std)) /
      file.std;
  }
  if ("min" in file && "min" in implied) {
    const range = file.max - file.min;
    return Math.max(Math.abs(implied.min - file.min), Math.abs(implied.max - file.max)) / range;
  }
  return Infinity;
}

/** `min 0.5, max 2.5` or `mean 1.5, std 0.58`, with `digits` significant digits. */
export function formatConstants(c: ScalerConstants, digits = 4): string {
  const f = (v: number) => Number(v.toPrecision(digits)).toString();
  return "mean" in c ? `mean ${f(c.mean)}, std ${f(c.std)}` : `min ${f(c.min)}, max ${f(c.max)}`;
}
