/**
 * The Jacobian batch type every part of the toolkit exchanges, and its CSV layout.
 *
 * @module
 */
import type { NumericTable } from "../io/table.ts";

/**
 * Jacobians of a function `R^n -> R^m` at `N` points, float64, row-major `[N, m, n]`:
 * `values[(k * m + i) * n + j] = ∂y_i/∂x_j` at point `k`, with `m = outputs.length`
 * and `n = inputs.length`.
 */
export interface Jacobians {
  /** Number of points `N`. */
  readonly points: number;
  /** Output names, length `m`, in model order. */
  readonly outputs: readonly string[];
  /** Input names, length `n`, in model order. */
  readonly inputs: readonly string[];
  /** Entries, length `N * m * n`, shape `[N, m, n]` row-major. */
  readonly values: Float64Array;
}

/** Options of {@linkcode makeJacobians}. */
export interface MakeJacobiansOptions {
  /** Number of points `N`. */
  points: number;
  /** Output names, length `m`. */
  outputs: readonly string[];
  /** Input names, length `n`. */
  inputs: readonly string[];
}

/**
 * Builds a {@linkcode Jacobians}, checking that `values` holds `N * m * n` numbers.
 *
 * @param values Entries, shape `[N, m, n]` row-major (kept, not copied).
 * @throws {TypeError} If the length of `values` is not `N * m * n`.
 * @throws {RangeError} If `N` is not a non-negative integer or a name list is empty.
 *
 * @example Usage
 * ```ts
 * import { makeJacobians } from "./types.ts";
 * const jac = makeJacobians(new Float64Array([1, 2]), { points: 1, outputs: ["f"], inputs: ["a", "b"] });
 * if (jac.values[1] !== 2) throw new Error("unexpected layout");
 * ```
 */
export function makeJacobians(values: Float64Array, options: MakeJacobiansOptions): Jacobians {
  const { points, outputs, inputs } = options;
  if (!Number.isInteger(points) || points < 0) {
    throw new RangeError(`Cannot make Jacobians: ${points} is not a number of points`);
  }
  if (outputs.length === 0 || inputs.length === 0) {
    throw new RangeError("Cannot make Jacobians: outputs and inputs need at least one name each");
  }
  const expected = points * outputs.length * inputs.length;
  if (values.length !== expected) {
    throw new TypeError(
      `Cannot make Jacobians: ${values.length} values do not fill [${points}, ${outputs.length}, ${inputs.length}]`,
    );
  }
  return { points, outputs: [...outputs], inputs: [...inputs], values };
}

/**
 * Default variable names `prefix1 … prefixCount` (DESIGN.md: `x1..xn` and `y1..ym`
 * when no scaling file names them).
 *
 * @example Usage
 * ```ts
 * import { defaultNames } from "./types.ts";
 * if (defaultNames("x", 2).join() !== "x1,x2") throw new Error("unexpected names");
 * ```
 */
export function defaultNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

/**
 * The CSV column name of one Jacobian entry: `d<out>_d<in>`, e.g. `df1_dx2`.
 *
 * @example Usage
 * ```ts
 * import { jacobianColumnName } from "./types.ts";
 * if (jacobianColumnName("f1", "x2") !== "df1_dx2") throw new Error("unexpected name");
 * ```
 */
export function jacobianColumnName(output: string, input: string): string {
  return `d${output}_d${input}`;
}

/**
 * The DESIGN.md `jacobian` CSV layout: the input columns of `x`, then one column
 * `d<out>_d<in>` per entry, output-major (`df1_dx1, df1_dx2, …, df4_dx4`).
 *
 * @param x The points, `N` rows; its columns are copied first.
 * @param jac Jacobians at the same `N` points.
 * @returns A table with `N` rows and `x.columns.length + m * n` columns.
 * @throws {TypeError} If `x` and `jac` have different numbers of points.
 * @throws {RangeError} If an entry column name equals one of the columns of `x`.
 *
 * @example Usage
 * ```ts
 * import { makeTable } from "../io/table.ts";
 * import { jacobiansToTable, makeJacobians } from "./types.ts";
 * const x = makeTable(["x1", "x2"], new Float64Array([1, 2]));
 * const jac = makeJacobians(new Float64Array([3, 4]), { points: 1, outputs: ["f1"], inputs: ["x1", "x2"] });
 * const t = jacobiansToTable(x, jac);
 * if (t.columns.join() !== "x1,x2,df1_dx1,df1_dx2" || t.data[3] !== 4) throw new Error("unexpected table");
 * ```
 */
export function jacobiansToTable(x: NumericTable, jac: Jacobians): NumericTable {
  if (x.rows !== jac.points) {
    throw new TypeError(
      `Cannot tabulate Jacobians: ${jac.points} points beside ${x.rows} input rows`,
    );
  }
  const entries = jacobianColumns(jac.outputs, jac.inputs);
  const columns = [...x.columns, ...entries];
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new RangeError(`Cannot tabulate Jacobians: column "${c}" appears twice`);
    seen.add(c);
  }
  const width = columns.length;
  const xw = x.columns.length;
  const mn = entries.length;
  const data = new Float64Array(x.rows * width);
  for (let k = 0; k < x.rows; k++) {
    data.set(x.data.subarray(k * xw, (k + 1) * xw), k * width);
    data.set(jac.values.subarray(k * mn, (k + 1) * mn), k * width + xw);
  }
  return { columns, rows: x.rows, data };
}

/**
 * Hessians of a function `R^n -> R^m` at `N` points, float64, row-major
 * `[N, m, n, n]`: `values[((k * m + i) * n + j) * n + l] = ∂²y_i/∂x_j∂x_l` at
 * point `k` (symmetric in `j`, `l`).
 */
export interface Hessians {
  /** Number of points `N`. */
  readonly points: number;
  /** Output names, length `m`. */
  readonly outputs: readonly string[];
  /** Input names, length `n`. */
  readonly inputs: readonly string[];
  /** Entries, length `N * m * n * n`, shape `[N, m, n, n]` row-major. */
  readonly values: Float64Array;
}

/**
 * The CSV column name of one Hessian entry: `d2<out>_d<in>_d<in>`, e.g. `d2f1_dx1_dx2`.
 *
 * @example Usage
 * ```ts
 * import { hessianColumnName } from "./types.ts";
 * if (hessianColumnName("f1", "x1", "x2") !== "d2f1_dx1_dx2") throw new Error("unexpected name");
 * ```
 */
export function hessianColumnName(output: string, first: string, second: string): string {
  return `d2${output}_d${first}_d${second}`;
}

/**
 * The Hessian CSV columns: `d2<out>_d<in_j>_d<in_l>` for every output, then
 * every `j`, then every `l` (the `[N, m, n, n]` order; both `(j, l)` and
 * `(l, j)` are written).
 */
export function hessianColumns(outputs: readonly string[], inputs: readonly string[]): string[] {
  return outputs.flatMap((o) =>
    inputs.flatMap((a) => inputs.map((b) => hessianColumnName(o, a, b)))
  );
}

/** The Jacobian CSV columns `d<out>_d<in>`, output-major. */
export function jacobianColumns(outputs: readonly string[], inputs: readonly string[]): string[] {
  return outputs.flatMap((o) => inputs.map((i) => jacobianColumnName(o, i)));
}
