/**
 * Per-variable scaling between physical and normalized units (min-max,
 * z-score, identity), in float64 and as tfjs ops, and the scaling file reader.
 *
 * @example Usage
 * ```ts
 * import { denormalize, minMaxScaler, normalize } from "./mod.ts";
 * const scalers = [minMaxScaler("x1", { min: 0.5, max: 2.5 })];
 * const xn = normalize(scalers, new Float64Array([1.5]));
 * if (xn[0] !== 0.5 || denormalize(scalers, xn)[0] !== 1.5) throw new Error("round trip failed");
 * ```
 *
 * @module
 */
export * from "./scaler.ts";
export * from "./tensor.ts";
export * from "./read_scaling.ts";
export * from "./range_csv.ts";
