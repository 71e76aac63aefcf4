/**
 * Sampling bounds: a named box in physical units, read from a `Variable,Min,Max` CSV.
 *
 * @module
 */
import { readTextFile } from "../io/table.ts";
import { parseRangeCsv } from "../scaling/range_csv.ts";

/** A box `[min_j, max_j]` per variable `j`, physical units. */
export interface Bounds {
  /** Variable names, in column order. */
  readonly names: string[];
  /** Lower bounds, length `names.length`. */
  readonly min: Float64Array;
  /** Upper bounds, length `names.length`, each `> min`. */
  readonly max: Float64Array;
}

/**
 * Builds {@linkcode Bounds} from names and parallel lists of minima and maxima, checking them.
 *
 * @throws {TypeError} If the lengths differ or there are no variables.
 * @throws {RangeError} If a bound is not finite or `min >= max` (names the variable).
 *
 * @example Usage
 * ```ts
 * import { makeBounds } from "./bounds.ts";
 * const b = makeBounds(["x1", "x2"], { min: [0, 0], max: [1, 2] });
 * if (b.max[1] !== 2) throw new Error("unexpected bounds");
 * ```
 */
export function makeBounds(
  names: readonly string[],
  range: { readonly min: ArrayLike<number>; readonly max: ArrayLike<number> },
): Bounds {
  const lo = range.min, hi = range.max;
  if (lo.length !== names.length || hi.length !== names.length) {
    throw new TypeError(
      `Cannot make bounds: ${names.length} names, ${lo.length} minima, ${hi.length} maxima`,
    );
  }
  if (names.length === 0) throw new TypeError("Cannot make bounds: no variables");
  names.forEach((name, j) => {
    const a = lo[j]!, b = hi[j]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      throw new RangeError(`Cannot make bounds: "${name}" has a non-finite bound [${a}, ${b}]`);
    }
    if (!(a < b)) {
      throw new RangeError(`Cannot make bounds: "${name}" has min ${a} >= max ${b}`);
    }
  });
  return { names: [...names], min: Float64Array.from(lo), max: Float64Array.from(hi) };
}

/**
 * Reads sampling bounds from a CSV with columns `Variable` (or `Name`), `Min`,
 * `Max`, matched case-insensitively, one row per variable. Without a name
 * column the variables are called `x1..xn`.
 *
 * @param path CSV file.
 * @throws {Error} If the file does not exist.
 * @throws {SyntaxError} Missing `Min`/`Max` column, non-numeric cell, no rows (names file and line).
 * @throws {RangeError} A row with `Min >= Max` (names file, line and variable).
 */
export async function readBounds(path: string): Promise<Bounds> {
  const rows = parseRangeCsv(await readTextFile(path), path);
  return {
    names: rows.map((r, j) => r.name ?? `x${j + 1}`),
    min: Float64Array.from(rows, (r) => r.min),
    max: Float64Array.from(rows, (r) => r.max),
  };
}
