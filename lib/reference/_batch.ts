/**
 * Shared batch checks and result assembly for the reference implementations.
 *
 * @module
 */
import type { InvalidEntry, ReferenceResult } from "./types.ts";

/** Checks that `x` holds `points` rows of `n` values. */
export function checkBatch(x: Float64Array, points: number, n: number, source: string): void {
  if (!Number.isSafeInteger(points) || points < 0) {
    throw new TypeError(`Cannot evaluate ${source}: ${points} is not a number of points`);
  }
  if (x.length !== points * n) {
    throw new TypeError(
      `Cannot evaluate ${source}: ${x.length} values are not ${points} points of ${n} inputs`,
    );
  }
}

/** Mutable result under construction, with a helper to mark a pair invalid. */
export class ResultBuilder {
  readonly values: Float64Array;
  readonly jacobian: Float64Array;
  readonly invalid: InvalidEntry[] = [];
  #marked = new Set<number>();

  constructor(readonly points: number, readonly m: number, readonly n: number) {
    this.values = new Float64Array(points * m);
    this.jacobian = new Float64Array(points * m * n);
  }

  /** Marks `(row, output i)` invalid once, setting its value and Jacobian row to NaN. */
  markInvalid(row: number, i: number, output: string, reason: string): void {
    const key = row * this.m + i;
    this.values[key] = NaN;
    this.jacobian.fill(NaN, key * this.n, (key + 1) * this.n);
    if (this.#marked.has(key)) return;
    this.#marked.add(key);
    this.invalid.push({ row, output, reason });
  }

  isInvalid(row: number, i: number): boolean {
    return this.#marked.has(row * this.m + i);
  }

  result(): ReferenceResult {
    this.invalid.sort((a, b) => a.row - b.row);
    return { values: this.values, jacobian: this.jacobian, invalid: this.invalid };
  }
}
