/**
 * The loop of the commands that compute something per point (`forward`,
 * `jacobian`, `hessian`): the inputs CSV is read, computed on and written a
 * chunk of rows at a time, so memory stays flat for any number of points; a
 * long run reports its progress on standard error.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { type CsvWriter, openCsvWriter, openNumericCsv } from "../io/csv_stream.ts";
import { loadSurrogate, selectInputColumns, type Surrogate } from "../surrogate/surrogate.ts";
import { noteBatch } from "./_notes.ts";
import { isQuiet, warn } from "./_warn.ts";
import { BoxCheck } from "../scaling/box.ts";
import { printWarnings, type WeightsCommandOptions, weightsOptions } from "./_weights.ts";

/** Points per chunk: large enough to amortize each call, small enough to keep memory flat. */
export const STREAM_CHUNK_ROWS = 16384;

/** What a command computes per point. */
export interface PointComputation {
  /** Names of the columns written after the input columns. */
  readonly columns: readonly string[];
  /** Values of those columns at `rows` points `x` (`[rows, n]`, physical units), `[rows, columns]`. */
  compute(x: Float64Array, rows: number): Promise<Float64Array>;
}

/** Options of {@linkcode streamPoints}. */
export interface StreamPointsOptions extends WeightsCommandOptions {
  model: string;
  inputs: string;
  scaling?: string;
  out: string;
  /** The command's name, for progress lines. */
  label: string;
  /** Prepares the computation once the model is loaded. */
  plan(surrogate: Surrogate): Promise<PointComputation> | PointComputation;
  /** @default {STREAM_CHUNK_ROWS} */
  chunkRows?: number;
}

/** What {@linkcode streamPoints} did. */
export interface StreamResult {
  /** Points written. */
  readonly points: number;
  /** Where: the path, or `standard output`. */
  readonly to: string;
  /** Output names of the model. */
  readonly outputs: readonly string[];
  /** Input names of the model. */
  readonly inputs: readonly string[];
  /** The columns written: the input names, then the computed columns. */
  readonly columns: readonly string[];
}

/**
 * Reads `inputs` chunk by chunk, computes, and writes the input columns then
 * the computed ones to `out` (atomically, or standard output for `-`).
 */
export async function streamPoints(options: StreamPointsOptions): Promise<StreamResult> {
  const reader = await openNumericCsv(options.inputs, { onWarning: warn });
  let surrogate: Surrogate | undefined;
  let writer: CsvWriter | undefined;
  try {
    surrogate = await loadSurrogate(options.model, {
      ...(options.scaling !== undefined ? { scaling: options.scaling } : {}),
      ...weightsOptions(options),
      inputNames: reader.columns,
    });
    noteBatch(surrogate);
    printWarnings(surrogate.warnings);
    const box = new BoxCheck(surrogate.scaling);
    const computation = await options.plan(surrogate);
    const n = surrogate.inputs.length;
    const w = computation.columns.length;
    writer = await openCsvWriter(options.out, [...surrogate.inputs, ...computation.columns]);
    const progress = new Progress(options.label, reader);
    let points = 0;
    for (;;) {
      const chunk = await reader.read(options.chunkRows ?? STREAM_CHUNK_ROWS);
      if (chunk === null) break;
      const x = selectInputColumns(chunk, surrogate.inputs, options.inputs);
      box.add(x, chunk.rows);
      const values = await computation.compute(x, chunk.rows);
      const rows = new Float64Array(chunk.rows * (n + w));
      for (let r = 0; r < chunk.rows; r++) {
        rows.set(x.subarray(r * n, (r + 1) * n), r * (n + w));
        rows.set(values.subarray(r * w, (r + 1) * w), r * (n + w) + n);
      }
      await writer.write({
        columns: [...surrogate.inputs, ...computation.columns],
        rows: chunk.rows,
        data: rows,
      });
      points += chunk.rows;
      progress.update(points);
    }
    await writer.close();
    progress.done(points);
    const outside = box.warning(options.inputs);
    if (outside) warn(outside);
    return {
      points,
      to: options.out === "-" ? "standard output" : options.out,
      outputs: surrogate.outputs,
      inputs: surrogate.inputs,
      columns: [...surrogate.inputs, ...computation.columns],
    };
  } catch (error) {
    await writer?.abort();
    throw error;
  } finally {
    reader.close();
    await surrogate?.dispose();
  }
}

/** Seconds before the first progress line, and between lines. */
const PROGRESS_AFTER_S = 2;

/** Progress lines on standard error once a run takes longer than a couple of seconds (not under `--quiet`). */
class Progress {
  readonly #start = performance.now();
  #last = this.#start;
  #shown = false;
  readonly #terminal = Deno.stderr.isTerminal();

  constructor(readonly label: string, readonly reader: { size: number; bytesRead: number }) {}

  update(points: number): void {
    if (isQuiet()) return;
    const now = performance.now();
    if (now - this.#last < PROGRESS_AFTER_S * 1000) return;
    this.#last = now;
    this.#shown = true;
    const share = this.reader.size > 0
      ? ` (${Math.round((100 * this.reader.bytesRead) / this.reader.size)}% of the inputs)`
      : "";
    const line = `${this.label}: ${points.toLocaleString("en-US")} points${share}, ${
      ((now - this.#start) / 1000).toFixed(0)
    } s`;
    if (this.#terminal) Deno.stderr.writeSync(new TextEncoder().encode(`\r${line}\x1b[K`));
    else console.error(line);
  }

  done(points: number): void {
    if (!this.#shown) return;
    const seconds = ((performance.now() - this.#start) / 1000).toFixed(1);
    const line = `${this.label}: ${points.toLocaleString("en-US")} points in ${seconds} s`;
    if (this.#terminal) Deno.stderr.writeSync(new TextEncoder().encode(`\r${line}\x1b[K\n`));
    else console.error(line);
  }
}
