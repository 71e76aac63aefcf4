/**
 * Training targets of a refit: points with target values and, for the
 * gradient-enhanced term, target Jacobians, all in physical units — from an
 * analytic reference or from a CSV of measured data.
 *
 * @module
 */
import { type NumericTable, readNumericCsv } from "../io/table.ts";
import { jacobianColumnName } from "../jacobian/types.ts";
import type { AnalyticReference } from "../reference/types.ts";

/** Points and targets, float64, physical units. */
export interface RefitData {
  /** Where the targets come from (file name), for messages and the summary. */
  readonly source: string;
  /** Number of points `N`. */
  readonly points: number;
  /** Input names, width `n`, model order. */
  readonly inputs: readonly string[];
  /** Output names, width `m`, model order. */
  readonly outputs: readonly string[];
  /** Points `[N, n]` row-major. */
  readonly x: Float64Array;
  /** Target outputs `[N, m]` row-major. */
  readonly values: Float64Array;
  /**
   * Target Jacobians `[N, m, n]` row-major, `jacobian[(k*m + i)*n + j] = ∂f_i/∂x_j`.
   * Without it only the value term can be trained (λ must be 0).
   */
  readonly jacobian?: Float64Array;
  /**
   * True when the data had no output values and `values` are the starting
   * model's predictions (the refit then keeps the values where they were
   * while it fixes the derivatives; R² is measured against those predictions).
   */
  readonly valuesFromModel?: boolean;
}

/**
 * Targets from an analytic reference evaluated at the given points.
 *
 * @param reference The reference; its input and output names must be the model's.
 * @param x Points `[N, n]` row-major, physical units.
 * @param options `source` names the points file in messages.
 * @returns Values and exact Jacobians at the points.
 * @throws {TypeError} If `x` does not fill rows of `n` inputs.
 * @throws {RangeError} If the reference cannot be evaluated at a point, naming the row.
 *
 * @example Usage
 * ```ts
 * import { referenceFromEquations } from "../reference/equations.ts";
 * import { refitDataFromReference } from "./data.ts";
 * const reference = referenceFromEquations({ inputs: ["x"], outputs: { f: "x^2" } }, "sq.json");
 * const data = refitDataFromReference(reference, new Float64Array([1, 3]), { source: "x.csv" });
 * if (data.values[1] !== 9 || data.jacobian![1] !== 6) throw new Error("unexpected targets");
 * ```
 */
export function refitDataFromReference(
  reference: AnalyticReference,
  x: Float64Array,
  options: { source?: string } = {},
): RefitData {
  const source = options.source ?? "the samples";
  const n = reference.inputs.length;
  if (x.length % n !== 0 || x.length === 0) {
    throw new TypeError(
      `Cannot evaluate the reference at ${source}: ${x.length} values are not rows of ${n} inputs`,
    );
  }
  const points = x.length / n;
  const result = reference.evaluate(x, points);
  const bad = result.invalid[0];
  if (bad) {
    throw new RangeError(
      `Cannot use ${source}: row ${
        bad.row + 1
      }: the reference is not defined there (${bad.reason})`,
    );
  }
  return {
    source,
    points,
    inputs: [...reference.inputs],
    outputs: [...reference.outputs],
    x,
    values: result.values,
    jacobian: result.jacobian,
  };
}

/** Options of {@linkcode readDerivativesCsv}. */
export interface ReadDerivativesOptions {
  /** The model's input names, width `n`. */
  inputs: readonly string[];
  /** The model's output names, width `m`. */
  outputs: readonly string[];
  /**
   * Values at the points `[N, n]` (physical) when the file has no output
   * columns at all, e.g. the starting model's predictions; without it every
   * output column is required.
   * @default {undefined}
   */
  valuesAt?: (x: Float64Array) => Promise<Float64Array>;
}

/**
 * Measured training data from a CSV with a header: the input columns, the
 * output columns and one `d<out>_d<in>` column per Jacobian entry (e.g.
 * `df1_dx2`, the layout of `partials jacobian`'s output), all in physical
 * units; other columns are ignored, order is free. A file with derivatives but
 * no output columns is accepted when `valuesAt` is given: the values are then
 * taken from it and the data is marked `valuesFromModel`.
 *
 * @param path The CSV file.
 * @param options The model's input and output names, and where values come from without output columns.
 * @returns The data, `N` = number of rows.
 * @throws {TypeError} If a column is missing, naming the file and the column.
 * @throws {SyntaxError} If a cell is not a number (from the CSV reader).
 */
export async function readDerivativesCsv(
  path: string,
  options: ReadDerivativesOptions,
): Promise<RefitData> {
  const table = await readNumericCsv(path);
  const { valuesAt } = options;
  if (valuesAt && options.outputs.every((o) => !table.columns.includes(o))) {
    const data = columnsOf(table, path, options, false);
    return { ...data, values: await valuesAt(data.x), valuesFromModel: true };
  }
  return derivativesFromTable(table, path, options);
}

/**
 * {@linkcode readDerivativesCsv} on a table already read.
 *
 * @param table The table.
 * @param source File name for messages.
 * @param options The model's input and output names.
 * @throws {TypeError} If a column is missing, naming the file and the column.
 *
 * @example Usage
 * ```ts
 * import { makeTable } from "../io/table.ts";
 * import { derivativesFromTable } from "./data.ts";
 * const t = makeTable(["x", "f", "df_dx"], new Float64Array([2, 4, 4]));
 * const data = derivativesFromTable(t, "d.csv", { inputs: ["x"], outputs: ["f"] });
 * if (data.jacobian![0] !== 4) throw new Error("unexpected derivative");
 * ```
 */
export function derivativesFromTable(
  table: NumericTable,
  source: string,
  options: ReadDerivativesOptions,
): RefitData {
  return columnsOf(table, source, options, true);
}

/** The input, (optionally) output and derivative columns of a table; `values` empty without outputs. */
function columnsOf(
  table: NumericTable,
  source: string,
  options: ReadDerivativesOptions,
  withValues: boolean,
): RefitData {
  const { inputs, outputs } = options;
  const index = (name: string, what: string) => {
    const c = table.columns.indexOf(name);
    if (c < 0) {
      throw new TypeError(`Cannot read ${source}: no column "${name}" (${what})`);
    }
    return c;
  };
  const inCols = inputs.map((name) => index(name, "a model input"));
  const outCols = withValues ? outputs.map((name) => index(name, "a model output")) : [];
  const jacCols = outputs.flatMap((o) =>
    inputs.map((i) =>
      index(jacobianColumnName(o, i), `the derivative of ${o} with respect to ${i}`)
    )
  );
  const N = table.rows;
  if (N === 0) throw new RangeError(`Cannot read ${source}: no data rows`);
  const width = table.columns.length;
  const pick = (cols: number[]) => {
    const out = new Float64Array(N * cols.length);
    for (let k = 0; k < N; k++) {
      cols.forEach((c, j) => out[k * cols.length + j] = table.data[k * width + c]!);
    }
    return out;
  };
  return {
    source,
    points: N,
    inputs: [...inputs],
    outputs: [...outputs],
    x: pick(inCols),
    values: pick(outCols),
    jacobian: pick(jacCols),
  };
}

/**
 * The rows `rows` of a data set, in that order.
 *
 * @param data The data.
 * @param rows Row indices in `[0, N)`.
 */
export function selectRows(data: RefitData, rows: readonly number[]): RefitData {
  const n = data.inputs.length;
  const m = data.outputs.length;
  const take = (a: Float64Array, w: number) => {
    const out = new Float64Array(rows.length * w);
    rows.forEach((r, k) => out.set(a.subarray(r * w, (r + 1) * w), k * w));
    return out;
  };
  return {
    source: data.source,
    points: rows.length,
    inputs: data.inputs,
    outputs: data.outputs,
    x: take(data.x, n),
    values: take(data.values, m),
    ...(data.jacobian ? { jacobian: take(data.jacobian, m * n) } : {}),
  };
}

/** Two data sets with the same names, one after the other. */
export function concatData(a: RefitData, b: RefitData): RefitData {
  return {
    ...a,
    points: a.points + b.points,
    x: concatFloat64(a.x, b.x),
    values: concatFloat64(a.values, b.values),
    ...(a.jacobian && b.jacobian ? { jacobian: concatFloat64(a.jacobian, b.jacobian) } : {}),
  };
}

/** `x` then `y` in one new array. */
export function concatFloat64(x: Float64Array, y: Float64Array): Float64Array {
  const out = new Float64Array(x.length + y.length);
  out.set(x);
  out.set(y, x.length);
  return out;
}
