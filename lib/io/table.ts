/**
 * The numeric table every part of the toolkit exchanges: column names and a
 * row-major float64 matrix. Read from and written to CSV with one-line errors
 * that name the file, the row and the column.
 *
 * @module
 */
import { stringifyCsvRows } from "./_std_csv.ts";
import { countCells, formatRows, NumericCsvParser } from "./csv_stream.ts";
import { writeFileAtomic } from "./atomic.ts";
import { limits, raiseHint } from "./limits.ts";
import { readRegularFile } from "./read_file.ts";

/** A row-major float64 matrix with named columns: `data[r * columns.length + c]`. */
export interface NumericTable {
  /** Column names, in file order. */
  readonly columns: readonly string[];
  /** Number of rows. */
  readonly rows: number;
  /** Values, length `rows * columns.length`, row-major. */
  readonly data: Float64Array;
}

/** Options of {@linkcode parseNumericCsv} and {@linkcode readNumericCsv}. */
export interface ReadNumericCsvOptions {
  /**
   * Allow `NaN`, `Inf`, `-Inf` cells (e.g. a model output that overflowed).
   * @default {false}
   */
  allowNonFinite?: boolean;
  /**
   * Columns that must be present (matched exactly); an error names the first missing one.
   * @default {[]}
   */
  requiredColumns?: readonly string[];
  /**
   * Told, in one line naming the file, what was read in a way the file did not
   * say (cells separated by semicolons or tabs).
   * @default {undefined} (no warnings)
   */
  onWarning?: (message: string) => void;
}

/**
 * Builds a table, checking that `data` has `rows * columns.length` values.
 *
 * @throws {RangeError} If the sizes disagree.
 */
export function makeTable(
  columns: readonly string[],
  data: Float64Array,
): NumericTable {
  const width = columns.length;
  if (width === 0) throw new RangeError("Cannot make a table: no columns");
  if (data.length % width !== 0) {
    throw new RangeError(
      `Cannot make a table: ${data.length} values do not fill rows of ${width} columns`,
    );
  }
  return { columns: [...columns], rows: data.length / width, data };
}

/** Column `name` of `table` as a fresh array. @throws {RangeError} If there is no such column. */
export function getColumn(table: NumericTable, name: string): Float64Array {
  const c = table.columns.indexOf(name);
  if (c < 0) {
    throw new RangeError(
      `Cannot find column "${name}": the table has ${table.columns.join(", ")}`,
    );
  }
  const width = table.columns.length;
  const out = new Float64Array(table.rows);
  for (let r = 0; r < table.rows; r++) out[r] = table.data[r * width + c]!;
  return out;
}

/**
 * Parses CSV text with a header row into a {@linkcode NumericTable}.
 *
 * @param text CSV text.
 * @param source Name used in error messages (usually the file path).
 * @throws {SyntaxError} Empty file, no data rows, empty or duplicate header name,
 *   ragged row, non-numeric or (unless allowed) non-finite cell, missing required column.
 *   Messages name `source`, the 1-based line and the column.
 *
 * @example Usage
 * ```ts
 * import { parseNumericCsv } from "./table.ts";
 * const t = parseNumericCsv("x1,x2\n1,2\n3,4\n", "inline.csv");
 * if (t.rows !== 2 || t.data[3] !== 4) throw new Error("unexpected parse");
 * ```
 */
export function parseNumericCsv(
  text: string,
  source: string,
  options: ReadNumericCsvOptions = {},
): NumericTable {
  // Read whole, the table takes 8 bytes a cell: refused before parsing beyond the cell limit.
  const max = limits().maxCsvCells;
  if (countCells(text, max) > max) {
    throw new RangeError(
      `Cannot read ${source}: more than ${max} cells, the limit for a CSV read whole (${
        raiseHint("maxCsvCells")
      })`,
    );
  }
  const parser = new NumericCsvParser(source, options);
  parser.push(text);
  parser.end();
  return { columns: parser.columns!, rows: parser.rowCount, data: parser.take() };
}

/**
 * Reads a numeric CSV file (header row, then numbers).
 *
 * @throws {Deno.errors.NotFound} Rethrown as `Error` naming the file when it does not exist.
 * @throws {SyntaxError} See {@linkcode parseNumericCsv}.
 */
export async function readNumericCsv(
  path: string,
  options: ReadNumericCsvOptions = {},
): Promise<NumericTable> {
  return parseNumericCsv(await readTextFile(path), path, options);
}

/**
 * Reads a text file (UTF-8). Only regular files up to the size limit are read;
 * see {@linkcode readRegularFile}.
 */
export async function readTextFile(path: string): Promise<string> {
  return new TextDecoder().decode(await readRegularFile(path));
}

/** Reads a binary file: only a regular file up to the size limit; see {@linkcode readRegularFile}. */
export function readBinaryFile(path: string): Promise<Uint8Array> {
  return readRegularFile(path);
}

/**
 * Formats a table as CSV text. Numbers are written with full float64 precision
 * (shortest round-trip form), so reading the file back gives the same values.
 */
export function formatNumericCsv(table: NumericTable): string {
  return stringifyCsvRows([table.columns]) +
    formatRows(table.data, table.rows, table.columns.length);
}

/** Writes a table as CSV, atomically (temporary file + rename). */
export async function writeNumericCsv(path: string, table: NumericTable): Promise<void> {
  await writeFileAtomic(path, formatNumericCsv(table));
}

/** Concatenates tables with the same number of rows side by side. @throws {RangeError} On a row-count mismatch or a repeated column name. */
export function concatColumns(...tables: NumericTable[]): NumericTable {
  const first = tables[0];
  if (first === undefined) throw new RangeError("Cannot join tables: none given");
  const columns = tables.flatMap((t) => [...t.columns]);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new RangeError(`Cannot join tables: column "${c}" appears twice`);
    seen.add(c);
  }
  for (const t of tables) {
    if (t.rows !== first.rows) {
      throw new RangeError(`Cannot join tables: ${t.rows} rows beside ${first.rows}`);
    }
  }
  const width = columns.length;
  const data = new Float64Array(first.rows * width);
  let offset = 0;
  for (const t of tables) {
    const w = t.columns.length;
    for (let r = 0; r < t.rows; r++) {
      data.set(t.data.subarray(r * w, (r + 1) * w), r * width + offset);
    }
    offset += w;
  }
  return { columns, rows: first.rows, data };
}
