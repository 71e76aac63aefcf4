/**
 * Elementwise closeness check for the Jacobian tests: `|a - b| <= atol + rtol * |b|`
 * at every index, with a message naming the first index that fails.
 *
 * @module
 */
import { AssertionError } from "../_assert.ts";

/** Tolerances of {@linkcode assertAllClose}; always given explicitly. */
export interface Tolerance {
  /** Relative part, times `|expected|`. */
  rtol: number;
  /** Absolute part. */
  atol: number;
}

/** Asserts `|actual[i] - expected[i]| <= atol + rtol * |expected[i]|` for every `i`. */
export function assertAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
): void {
  if (actual.length !== expected.length) {
    throw new AssertionError(`Lengths differ: ${actual.length} vs ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e))) {
      throw new AssertionError(
        `Index ${i}: ${a} vs expected ${e} (|diff| ${
          Math.abs(a - e)
        }, atol ${tol.atol}, rtol ${tol.rtol})`,
      );
    }
  }
}

/** Largest `|actual[i] - expected[i]|`. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    max = Math.max(max, Math.abs(actual[i]! - expected[i]!));
  }
  return max;
}
