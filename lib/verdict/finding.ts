/**
 * The unit of evidence of a verdict: one tested fact with the number that
 * decided it, the threshold it was held against, and the details a reader
 * needs to check it (rows, implied constants, points).
 *
 * @module
 */

/** One tested fact, with the number that decided it. */
export interface Finding<K extends string = string> {
  /** What was tested, e.g. `"output-scaling"`. */
  readonly kind: K;
  /** The cause this finding speaks for is present. */
  readonly holds: boolean;
  /** The number that decided it (its meaning is stated in `detail.measure`). */
  readonly value: number;
  /** The threshold `value` was compared with. */
  readonly threshold: number;
  /**
   * What the number is and what it would be if the cause were absent
   * (`measure`, `absent`), and the facts behind it (rows, constants, points).
   */
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * Builds a {@linkcode Finding}.
 *
 * @example Usage
 * ```ts
 * import { finding } from "./finding.ts";
 * const f = finding("underfit", 0.91 < 0.99, 0.91, 0.99, { measure: "smallest value R²" });
 * if (!f.holds) throw new Error("an R² of 0.91 is below 0.99");
 * ```
 */
export function finding<K extends string>(
  kind: K,
  holds: boolean,
  value: number,
  threshold: number,
  detail: Readonly<Record<string, unknown>> = {},
): Finding<K> {
  return { kind, holds, value, threshold, detail };
}
