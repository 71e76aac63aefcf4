/**
 * The minimal structural view of a per-variable affine scaling that the
 * Jacobian code needs: `normalized = scale * physical + offset`, per variable.
 * Min-max scaling to [0, 1] is `scale = 1 / (max - min)`, `offset = -min / (max - min)`.
 *
 * Either form is accepted for each side: an {@linkcode AffineMap} holding
 * parallel arrays, or an array of per-variable objects `{ scale, offset }`
 * (the shape of the scaling module's variable scalers).
 *
 * @module
 */

/** Parallel arrays: variable `j` is normalized as `scale[j] * x_j + offset[j]`. */
export interface AffineMap {
  /** Per-variable factor, nonzero, finite. */
  readonly scale: ArrayLike<number>;
  /** Per-variable shift, finite. */
  readonly offset: ArrayLike<number>;
}

/** One variable's affine normalization `scale * x + offset`. */
export interface AffineVariable {
  /** Factor, nonzero, finite. */
  readonly scale: number;
  /** Shift, finite. */
  readonly offset: number;
}

/** One side (inputs or outputs) of a scaling, in either accepted form. */
export type AffineSide = AffineMap | readonly AffineVariable[];

/** Both sides of a scaling: model inputs and model outputs. */
export interface AffineScaling {
  /** Normalization of the inputs, width `n`. */
  readonly inputs: AffineSide;
  /** Normalization of the outputs, width `m`. */
  readonly outputs: AffineSide;
}

/**
 * Reads one side of a scaling as two float64 arrays, checking width and values.
 *
 * @param side The scaling side.
 * @param options `width`: the expected number of variables; `label`: used in errors.
 * @throws {TypeError} If the side has another width.
 * @throws {RangeError} If a scale is zero or not finite, or an offset is not finite.
 *
 * @example Usage
 * ```ts
 * import { readAffineSide } from "./affine.ts";
 * const { scale } = readAffineSide([{ scale: 0.5, offset: 0 }], { width: 1, label: "inputs" });
 * if (scale[0] !== 0.5) throw new Error("unexpected scale");
 * ```
 */
export function readAffineSide(
  side: AffineSide,
  options: { width: number; label: string },
): { scale: Float64Array; offset: Float64Array } {
  const { width, label } = options;
  let scale: Float64Array;
  let offset: Float64Array;
  if (isAffineMap(side)) {
    scale = Float64Array.from(side.scale);
    offset = Float64Array.from(side.offset);
    if (offset.length !== scale.length) {
      throw new TypeError(
        `Cannot read the ${label} scaling: ${scale.length} scales but ${offset.length} offsets`,
      );
    }
  } else {
    scale = Float64Array.from(side, (v) => v.scale);
    offset = Float64Array.from(side, (v) => v.offset);
  }
  if (scale.length !== width) {
    throw new TypeError(
      `Cannot read the ${label} scaling: it has ${scale.length} variables, the model has ${width}`,
    );
  }
  for (let j = 0; j < width; j++) {
    if (!Number.isFinite(scale[j]!) || scale[j] === 0) {
      throw new RangeError(
        `Cannot read the ${label} scaling: variable ${j + 1} has scale ${scale[j]}`,
      );
    }
    if (!Number.isFinite(offset[j]!)) {
      throw new RangeError(
        `Cannot read the ${label} scaling: variable ${j + 1} has offset ${offset[j]}`,
      );
    }
  }
  return { scale, offset };
}

/** The number of variables on one side of a scaling. */
export function affineWidth(side: AffineSide): number {
  return isAffineMap(side) ? side.scale.length : side.length;
}

function isAffineMap(side: AffineSide): side is AffineMap {
  return !Array.isArray(side) && "scale" in side && "offset" in side;
}
