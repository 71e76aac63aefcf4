/**
 * The `Variable,Min,Max` table: one row per variable with its range. It is the
 * layout of the user's `olhs_samples_max_min.csv`, read both as a scaling file
 * (model inputs first, then outputs) and as sampling bounds.
 *
 * @module
 */
import { detectSeparator, parseCsvRows } from "../io/_std_csv.ts";
import { escapeControl, hasControl, quote } from "../io/quote.ts";

/** One row of a `Variable,Min,Max` table. */
export interface RangeRow {
  /** The name cell, or `undefined` when the file has no name column. */
  readonly name: string | undefined;
  /** Lower end of the range. */
  readonly min: number;
  /** Upper end of the range. */
  readonly max: number;
  /** 1-based line of the row in the file, for error messages. */
  readonly line: number;
}

/** Options of {@linkcode parseRangeCsv}. */
export interface ParseRangeCsvOptions {
  /**
   * Refuse a row whose `Min` is not below its `Max`.
   * @default {true}
   */
  requireIncreasing?: boolean;
  /**
   * Told, in one line naming the file, what was read in a way the file did not
   * say (cells separated by semicolons or tabs).
   * @default {undefined} (no warnings)
   */
  onWarning?: (message: string) => void;
}

/**
 * Parses a `Variable,Min,Max` CSV. Columns are matched case-insensitively; the
 * name column (`Variable` or `Name`) is optional, `Min` and `Max` are required.
 * Other columns are ignored.
 *
 * @param text CSV text with a header row.
 * @param source Name used in error messages (usually the file path).
 * @returns The rows in file order.
 * @throws {SyntaxError} Empty file, no data rows, missing `Min`/`Max` column,
 *   a ragged row, a non-numeric or non-finite cell, an empty or repeated name.
 * @throws {RangeError} A row with `Min >= Max` (unless `requireIncreasing` is false).
 *
 * @example Usage
 * ```ts
 * import { parseRangeCsv } from "./range_csv.ts";
 * const rows = parseRangeCsv("Variable,Min,Max\nx1,0.5,2.5\n", "inline.csv");
 * if (rows[0]?.name !== "x1" || rows[0].max !== 2.5) throw new Error("unexpected parse");
 * ```
 */
export function parseRangeCsv(
  text: string,
  source: string,
  options: ParseRangeCsvOptions = {},
): RangeRow[] {
  const { requireIncreasing = true } = options;
  const clean = text.replace(/^\uFEFF/, "");
  const separator = detectSeparator(clean);
  if (separator !== ",") {
    options.onWarning?.(
      `${source}: cells are separated by ${
        separator === ";" ? "semicolons" : "tabs"
      }, not commas; reading it that way`,
    );
  }
  let cells: string[][];
  try {
    cells = parseCsvRows(clean, separator);
  } catch (error) {
    throw new SyntaxError(
      `Cannot parse ${source}: ${escapeControl((error as Error).message.split("\n")[0]!)}`,
    );
  }
  const lines = cells
    .map((row, i) => ({ row, line: i + 1 }))
    .filter(({ row }) => row.length > 0 && !(row.length === 1 && row[0]!.trim() === ""));
  const header = lines[0];
  if (header === undefined) throw new SyntaxError(`Cannot read ${source}: the file is empty`);
  const lower = header.row.map((c) => c.trim().toLowerCase());
  const findColumn = (...names: string[]) => lower.findIndex((c) => names.includes(c));
  const minCol = findColumn("min");
  const maxCol = findColumn("max");
  const nameCol = findColumn("variable", "name");
  const headerText = quote(header.row.map((c) => c.trim()).join(","), 60);
  if (minCol < 0 || maxCol < 0) {
    throw new SyntaxError(
      `Cannot read ${source}: missing column "${
        minCol < 0 ? "Min" : "Max"
      }" (the header is ${headerText}; expected Variable,Min,Max)`,
    );
  }
  const body = lines.slice(1);
  if (body.length === 0) throw new SyntaxError(`Cannot read ${source}: no rows after the header`);
  const seen = new Map<string, number>();
  return body.map(({ row, line }) => {
    if (row.length !== header.row.length) {
      throw new SyntaxError(
        `Cannot read ${source}: line ${line} has ${row.length} cells, the header has ${header.row.length}`,
      );
    }
    let name: string | undefined;
    if (nameCol >= 0) {
      name = row[nameCol]!.trim();
      if (name === "") throw new SyntaxError(`Cannot read ${source}: line ${line} has no name`);
      if (hasControl(name) || name.length > 200) {
        throw new SyntaxError(
          `Cannot read ${source}: line ${line} has the name ${
            quote(name, 40)
          }, which holds control characters or is longer than 200 characters`,
        );
      }
      const before = seen.get(name);
      if (before !== undefined) {
        throw new SyntaxError(
          `Cannot read ${source}: line ${line} repeats the name ${
            quote(name, 40)
          } of line ${before}`,
        );
      }
      seen.set(name, line);
    }
    const label = name === undefined ? `line ${line}` : `line ${line} ("${name}")`;
    const number = (col: number, what: string): number => {
      const cell = row[col]!.trim();
      const numeric = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(cell);
      const value = numeric ? Number(cell) : NaN;
      if (!Number.isFinite(value)) {
        const why = numeric
          ? " (beyond the float64 range ±1.8e308)"
          : separator !== "," && /\d,\d/.test(cell)
          ? " (a decimal comma? write numbers with a point)"
          : "";
        throw new SyntaxError(
          `Cannot read ${source}: ${label}, column ${what}: ${
            quote(cell, 40)
          } is not a finite number${why}`,
        );
      }
      return value;
    };
    const min = number(minCol, "Min");
    const max = number(maxCol, "Max");
    if (requireIncreasing && !(min < max)) {
      throw new RangeError(
        `Cannot read ${source}: ${label} has Min ${min} >= Max ${max} (the range must be positive)`,
      );
    }
    return { name, min, max, line };
  });
}
