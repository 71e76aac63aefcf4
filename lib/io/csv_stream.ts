/**
 * Numeric CSV in chunks: an incremental parser (the one `parseNumericCsv`
 * uses), a reader that yields a file's rows a chunk at a time, and a writer
 * that appends rows to a file written atomically or to standard output, so
 * that memory stays flat whatever the number of rows.
 *
 * @module
 */
import type { NumericTable, ReadNumericCsvOptions } from "./table.ts";
import { detectSeparator, parseCsvRows, stringifyCsvRows } from "./_std_csv.ts";
import { openAtomicFile } from "./atomic.ts";
import { limits, raiseHint } from "./limits.ts";
import { describeError, quote } from "./quote.ts";

// No nested quantifiers over the same digits: a 200 kB cell of digits is matched in linear time.
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Counts cells (separators and line ends, plus one) up to `stop`, cheaply,
 * before text is parsed.
 */
export function countCells(text: string, stop = Infinity): number {
  const separator = detectSeparator(text).charCodeAt(0);
  let cells = 1;
  for (let i = 0; i < text.length && cells <= stop; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === separator) cells++;
  }
  return cells;
}

/** A cell read as a number: decimal or exponent notation, `nan`, `inf`, `-infinity`, …; else `undefined`. */
export function parseNumber(cell: string): number | undefined {
  const s = cell.trim();
  if (NUMBER.test(s)) return Number(s);
  if (/^nan$/i.test(s)) return NaN;
  if (/^\+?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  return undefined;
}

/**
 * Parses numeric CSV text given in pieces: a header row, then rows of numbers,
 * blank lines skipped, RFC 4180 quotes honored. Rows accumulate until taken.
 * Errors are {@linkcode SyntaxError}s naming the source, the 1-based line and
 * the column, as `parseNumericCsv` documents.
 */
export class NumericCsvParser {
  /** Header names, once the header has been read. */
  columns: readonly string[] | undefined;
  /** Data rows parsed so far (taken or not). */
  rowCount = 0;
  readonly #source: string;
  readonly #allowNonFinite: boolean;
  readonly #required: readonly string[];
  readonly #onWarning: ((message: string) => void) | undefined;
  readonly #maxLine: number;
  /** The cell separator, chosen from the header line. */
  #separator = ",";
  #partial = "";
  #record = "";
  #recordLine = 0;
  #line = 0;
  #started = false;
  #rows = new Float64Array(0);
  #held = 0;

  constructor(source: string, options: ReadNumericCsvOptions = {}) {
    this.#source = source;
    this.#allowNonFinite = options.allowNonFinite ?? false;
    this.#required = options.requiredColumns ?? [];
    this.#onWarning = options.onWarning;
    this.#maxLine = limits().maxCsvLineLength;
  }

  /** Rows parsed and not yet taken. */
  get held(): number {
    return this.#held;
  }

  /** Parses the complete lines of `text` (with what was left of the previous piece). */
  push(text: string): void {
    let t = this.#partial + text;
    if (!this.#started && t.length > 0) {
      this.#started = true;
      if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    }
    let start = 0;
    for (;;) {
      const nl = t.indexOf("\n", start);
      if (nl < 0) break;
      this.#line++;
      this.#acceptLine(t.slice(start, nl));
      start = nl + 1;
    }
    this.#partial = t.slice(start);
    if (this.#partial.length > this.#maxLine) {
      throw new RangeError(
        `Cannot read ${this.#source}: line ${
          this.#line + 1
        } is longer than ${this.#maxLine} characters, the limit (${raiseHint("maxCsvLineLength")})`,
      );
    }
  }

  /**
   * Parses what is left (a last line without a line end) and checks the file
   * as a whole.
   *
   * @throws {SyntaxError} For an empty file or one with no data rows.
   */
  end(): void {
    if (this.#partial !== "") {
      this.#line++;
      this.#acceptLine(this.#partial);
      this.#partial = "";
    }
    if (this.#record !== "") {
      throw new SyntaxError(
        `Cannot parse ${this.#source}: a quote opened at line ${this.#recordLine} is never closed`,
      );
    }
    if (this.columns === undefined) {
      throw new SyntaxError(`Cannot read ${this.#source}: the file is empty`);
    }
    if (this.rowCount === 0) {
      throw new SyntaxError(`Cannot read ${this.#source}: no data rows after the header`);
    }
  }

  /** Removes and returns up to `maxRows` parsed rows, `[rows, width]` row-major. */
  take(maxRows = Infinity): Float64Array {
    const width = this.columns?.length ?? 0;
    const rows = Math.min(maxRows, this.#held);
    const out = this.#rows.slice(0, rows * width);
    this.#rows.copyWithin(0, rows * width, this.#held * width);
    this.#held -= rows;
    return out;
  }

  #acceptLine(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (this.#record !== "" || line.includes('"')) {
      // A quoted field may hold commas and line ends: gather the whole record first.
      if (this.#record === "") this.#recordLine = this.#line;
      this.#record = this.#record === "" ? line : `${this.#record}\n${line}`;
      if (countQuotes(this.#record) % 2 === 1) return;
      const record = this.#record;
      this.#record = "";
      if (this.#record.length > this.#maxLine) {
        throw new RangeError(
          `Cannot read ${this.#source}: the quoted record from line ${this.#recordLine} is longer than ${this.#maxLine} characters, the limit (${
            raiseHint("maxCsvLineLength")
          })`,
        );
      }
      let cells: string[];
      try {
        if (this.columns === undefined) this.#chooseSeparator(record);
        cells = parseCsvRows(record, this.#separator)[0] ?? [""];
      } catch (error) {
        throw new SyntaxError(`Cannot parse ${this.#source}: ${describeError(error)}`);
      }
      this.#acceptCells(cells, this.#recordLine);
      return;
    }
    if (line.trim() === "") return;
    if (this.columns === undefined) this.#chooseSeparator(line);
    this.#acceptCells(line.split(this.#separator), this.#line);
  }

  /** Semicolons or tabs when the header has no comma (spreadsheets with a decimal comma write so). */
  #chooseSeparator(header: string): void {
    this.#separator = detectSeparator(header);
    if (this.#separator !== ",") {
      this.#onWarning?.(
        `${this.#source}: cells are separated by ${
          this.#separator === ";" ? "semicolons" : "tabs"
        }, not commas; reading it that way`,
      );
    }
  }

  #acceptCells(cells: readonly string[], line: number): void {
    if (cells.length === 1 && cells[0]!.trim() === "") return;
    if (this.columns === undefined) {
      this.#acceptHeader(cells);
      return;
    }
    const width = this.columns.length;
    if (cells.length !== width) {
      throw new SyntaxError(
        `Cannot read ${this.#source}: row at line ${line} has ${cells.length} cells, the header has ${width}`,
      );
    }
    if ((this.#held + 1) * width > this.#rows.length) {
      const grown = new Float64Array(Math.max(1024 * width, this.#rows.length * 2));
      grown.set(this.#rows.subarray(0, this.#held * width));
      this.#rows = grown;
    }
    const at = this.#held * width;
    for (let c = 0; c < width; c++) {
      const cell = cells[c]!;
      const value = parseNumber(cell);
      if (value === undefined) {
        const hint = this.#separator !== "," && /\d,\d/.test(cell)
          ? " (a decimal comma? write numbers with a point)"
          : "";
        throw new SyntaxError(
          `Cannot read ${this.#source}: line ${line}, column ${quote(this.columns[c]!, 40)}: ${
            quote(cell)
          } is not a number${hint}`,
        );
      }
      if (!this.#allowNonFinite && !Number.isFinite(value)) {
        const text = cell.trim();
        const overflow = /\d/.test(text) ? " (beyond the float64 range ±1.8e308)" : "";
        throw new SyntaxError(
          `Cannot read ${this.#source}: line ${line}, column ${quote(this.columns[c]!, 40)}: ${
            text.length <= 40 ? text : quote(text, 40)
          } is not finite${overflow}`,
        );
      }
      this.#rows[at + c] = value;
    }
    this.#held++;
    this.rowCount++;
  }

  #acceptHeader(cells: readonly string[]): void {
    const maxColumns = limits().maxCsvColumns;
    if (cells.length > maxColumns) {
      throw new RangeError(
        `Cannot read ${this.#source}: the header has ${cells.length} columns, more than the limit of ${maxColumns} (${
          raiseHint("maxCsvColumns")
        })`,
      );
    }
    const columns = cells.map((c) => c.trim());
    const seen = new Map<string, number>();
    columns.forEach((name, i) => {
      if (name === "") {
        throw new SyntaxError(`Cannot read ${this.#source}: header column ${i + 1} has no name`);
      }
      const before = seen.get(name);
      if (before !== undefined) {
        throw new SyntaxError(
          `Cannot read ${this.#source}: header names column ${quote(name, 40)} twice (columns ${
            before + 1
          } and ${i + 1})`,
        );
      }
      seen.set(name, i);
    });
    for (const required of this.#required) {
      if (!seen.has(required)) {
        throw new SyntaxError(
          `Cannot read ${this.#source}: missing column ${quote(required, 40)} (header has ${
            quote(columns.join(", "))
          })`,
        );
      }
    }
    this.columns = columns;
  }
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}

/** A numeric CSV file read a chunk of rows at a time. */
export interface NumericCsvReader {
  /** The file, for messages. */
  readonly source: string;
  /** Header names, file order. */
  readonly columns: readonly string[];
  /** Size of the file in bytes (0 when unknown, e.g. a pipe). */
  readonly size: number;
  /** Bytes read so far. */
  readonly bytesRead: number;
  /**
   * The next rows, at most `maxRows`, or `null` after the last row.
   *
   * @throws {SyntaxError} As {@linkcode NumericCsvParser}, naming the file, line and column.
   */
  read(maxRows: number): Promise<NumericTable | null>;
  /** Closes the file (also done after the last row). */
  close(): void;
}

const READ_BYTES = 1 << 20;

/**
 * Opens a numeric CSV file and reads its header.
 *
 * @param path The file.
 * @param options Non-finite cells allowed, required columns.
 * @throws {Error} Naming the file when it does not exist or is a folder.
 * @throws {SyntaxError} For an empty file or a bad header.
 *
 * @example Usage
 * ```ts
 * import { openNumericCsv } from "./csv_stream.ts";
 * const path = await Deno.makeTempFile({ suffix: ".csv" });
 * await Deno.writeTextFile(path, "x1,x2\n1,2\n3,4\n5,6\n");
 * const reader = await openNumericCsv(path);
 * const first = await reader.read(2);
 * const second = await reader.read(2);
 * if (first?.rows !== 2 || second?.rows !== 1 || (await reader.read(2)) !== null) {
 *   throw new Error("unexpected chunks");
 * }
 * ```
 */
export async function openNumericCsv(
  path: string,
  options: ReadNumericCsvOptions = {},
): Promise<NumericCsvReader> {
  let file: Deno.FsFile;
  try {
    // Checked before opening: a FIFO would block the open, a device never ends.
    const info = await Deno.stat(path);
    if (!info.isFile && !info.isDirectory) {
      throw new Error(`Cannot read ${path}: not a regular file (a device, pipe or socket)`);
    }
    file = await Deno.open(path, { read: true });
    if ((await file.stat()).isDirectory) {
      file.close();
      throw new Deno.errors.IsADirectory(path);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot read ${path}: no such file`);
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new Error(`Cannot read ${path}: it is a folder, not a file`);
    }
    throw error;
  }
  const size = (await file.stat()).size;
  const parser = new NumericCsvParser(path, options);
  const decoder = new TextDecoder("utf-8", { fatal: false });
  const buffer = new Uint8Array(READ_BYTES);
  let bytesRead = 0;
  let done = false;
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  /** Reads more of the file into the parser; false at the end. */
  const fill = async (): Promise<boolean> => {
    if (done) return false;
    const n = await file.read(buffer);
    if (n === null) {
      parser.push(decoder.decode());
      try {
        parser.end();
      } finally {
        done = true;
        close();
      }
      return false;
    }
    bytesRead += n;
    parser.push(decoder.decode(buffer.subarray(0, n), { stream: true }));
    return true;
  };
  try {
    while (parser.columns === undefined && await fill());
  } catch (error) {
    close();
    throw error;
  }
  const columns = parser.columns!;
  return {
    source: path,
    columns,
    size,
    get bytesRead() {
      return bytesRead;
    },
    async read(maxRows) {
      try {
        while (parser.held < maxRows && await fill());
      } catch (error) {
        close();
        throw error;
      }
      if (parser.held === 0) return null;
      const rows = Math.min(maxRows, parser.held);
      return { columns, rows, data: parser.take(rows) };
    },
    close,
  };
}

/** Rows appended to a CSV destination. */
export interface CsvWriter {
  /** Appends rows (the table's columns must be the writer's). */
  write(table: NumericTable): Promise<void>;
  /** Finishes: a file is renamed into place. */
  close(): Promise<void>;
  /** Gives up: a file's temporary copy is removed, the destination left as it was. */
  abort(): Promise<void>;
}

/**
 * Opens a CSV destination and writes the header: a file (written to a
 * temporary file beside it, renamed into place by `close`) or, for `"-"`,
 * standard output. Numbers are written with full float64 precision (the
 * shortest form that reads back as the same value), RFC 4180 line ends.
 *
 * @example Usage
 * ```ts
 * import { openCsvWriter } from "./csv_stream.ts";
 * const path = `${await Deno.makeTempDir()}/y.csv`;
 * const writer = await openCsvWriter(path, ["a", "b"]);
 * await writer.write({ columns: ["a", "b"], rows: 1, data: Float64Array.of(0.1, 2) });
 * await writer.close();
 * if (await Deno.readTextFile(path) !== "a,b\r\n0.1,2\r\n") throw new Error("unexpected text");
 * ```
 */
export async function openCsvWriter(path: string, columns: readonly string[]): Promise<CsvWriter> {
  const encoder = new TextEncoder();
  const sink = path === "-" ? stdoutSink() : await openAtomicFile(path);
  await sink.write(encoder.encode(stringifyCsvRows([columns])));
  const width = columns.length;
  return {
    async write(table) {
      if (table.columns.length !== width) {
        throw new RangeError(
          `Cannot write ${path}: rows of ${table.columns.length} columns, the header has ${width}`,
        );
      }
      if (table.rows > 0) {
        await sink.write(encoder.encode(formatRows(table.data, table.rows, width)));
      }
    },
    close: () => sink.commit(),
    abort: () => sink.abort(),
  };
}

/** `rows` rows of `width` numbers as CSV lines (`\r\n` after each). */
export function formatRows(data: Float64Array, rows: number, width: number): string {
  // The typed array's own join (native, shortest round-trip form) is ~2x faster than concatenation.
  const lines = new Array<string>(rows + 1);
  for (let r = 0; r < rows; r++) lines[r] = data.subarray(r * width, (r + 1) * width).join(",");
  lines[rows] = "";
  return lines.join("\r\n");
}

function stdoutSink() {
  return {
    async write(bytes: Uint8Array) {
      for (let done = 0; done < bytes.length;) {
        done += await Deno.stdout.write(bytes.subarray(done));
      }
    },
    commit: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}
