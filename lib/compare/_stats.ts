/**
 * Small float64 statistics shared by the comparisons. Private.
 *
 * @module
 */

/** The scale used when every reference value is zero: errors are then absolute. */
export const ZERO_SCALE_FALLBACK = 1;

/**
 * `max(range, floorFraction · magnitude)`, or {@linkcode ZERO_SCALE_FALLBACK} when
 * that is zero. `NaN` in gives `NaN` out.
 */
export function flooredScale(range: number, magnitude: number, floorFraction: number): number {
  const s = Math.max(range, floorFraction * magnitude);
  return s === 0 ? ZERO_SCALE_FALLBACK : s;
}

/**
 * Coefficient of determination `1 - Σ(c - r)² / Σ(r - mean r)²` of `calc`
 * against `ref`; `NaN` when `ref` does not vary.
 */
export function rSquared(calc: ArrayLike<number>, ref: ArrayLike<number>): number {
  const count = ref.length;
  let mean = 0;
  for (let k = 0; k < count; k++) mean += ref[k]!;
  mean /= count;
  let ssTot = 0;
  let ssRes = 0;
  for (let k = 0; k < count; k++) {
    ssTot += (ref[k]! - mean) ** 2;
    ssRes += (calc[k]! - ref[k]!) ** 2;
  }
  return ssTot > 0 ? 1 - ssRes / ssTot : NaN;
}

/** Copy of `value` with every non-finite number replaced by `null`, for `JSON.stringify`. */
export function finiteOrNull(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(finiteOrNull);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, finiteOrNull(v)]));
  }
  return value;
}
