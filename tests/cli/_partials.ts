/**
 * Runs the CLI (`lib/cli/main.ts`) in a subprocess, as a user would, for the CLI tests.
 *
 * @module
 */
import { type NumericTable, parseNumericCsv, readNumericCsv } from "../../lib/io/table.ts";
import { assertEquals, assertFalse, assertStringIncludes } from "../_assert.ts";
import { SEED } from "../_bundled.ts";

/** The CLI entry point. */
export const MAIN = new URL("../../lib/cli/main.ts", import.meta.url).pathname;

/** Where and with what environment {@linkcode partialsIn} runs the CLI (or another script). */
export interface RunOptions {
  /** The Deno script to run. @default {MAIN} */
  script?: string;
  /** Working directory of the process. @default {the current one} */
  cwd?: string;
  /** Extra environment variables. @default {{}} */
  env?: Record<string, string>;
}

/** What a run of the CLI gave. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `partials <args>` with read, write, env, ffi and sys permissions; returns its exit code and output. */
export function partials(...args: string[]): Promise<RunResult> {
  return partialsIn({}, ...args);
}

/** Runs `partials <args>` and asserts it succeeded (its standard error is the failure message). */
export async function partialsOk(...args: string[]): Promise<RunResult> {
  const r = await partials(...args);
  assertEquals(r.code, 0, r.stderr);
  return r;
}

/** `--model <model> --inputs <seed inputs> --scaling <seed scaling>`: the seed case's points. */
export function seedPoints(model: string): string[] {
  return ["--model", model, "--inputs", SEED.inputs, "--scaling", SEED.scaling];
}

/** A result CSV, read: the table and, row-major, its values after the first `skip` (input) columns. */
export interface ResultCsv {
  table: NumericTable;
  values: Float64Array;
}

/** A result table and its values after the first `skip` columns. */
export function resultValues(table: NumericTable, skip = 0): ResultCsv {
  const width = table.columns.length;
  const values = new Float64Array(table.rows * (width - skip));
  for (let r = 0; r < table.rows; r++) {
    values.set(table.data.subarray(r * width + skip, (r + 1) * width), r * (width - skip));
  }
  return { table, values };
}

/**
 * Runs `partials <args> --out <out>`, asserts it succeeded, and reads the CSV
 * it wrote (`--out -`: its standard output).
 *
 * @param skip Leading columns left out of `values` (the input columns).
 */
export function partialsCsv(
  out: string,
  skip: number,
  ...args: string[]
): Promise<ResultCsv & { run: RunResult }> {
  return partialsCsvIn({}, out, skip, ...args);
}

/** {@linkcode partialsCsv} in a given folder and environment. */
export async function partialsCsvIn(
  options: RunOptions,
  out: string,
  skip: number,
  ...args: string[]
): Promise<ResultCsv & { run: RunResult }> {
  const run = await partialsIn(options, ...args, "--out", out);
  assertEquals(run.code, 0, run.stderr);
  const table = out === "-"
    ? parseNumericCsv(run.stdout, "standard output")
    : await readNumericCsv(out);
  return { ...resultValues(table, skip), run };
}

/**
 * The command that runs `partials <args>` with the task's permissions, both
 * streams piped: `.output()` it, or `.spawn()` it to signal it mid-run.
 */
export function partialsCommand(options: RunOptions, ...args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      "--allow-sys",
      options.script ?? MAIN,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    env: { NO_COLOR: "1", ...options.env },
  });
}

/** {@linkcode partials} in a given folder and environment. */
export async function partialsIn(options: RunOptions, ...args: string[]): Promise<RunResult> {
  const out = await partialsCommand(options, ...args).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Asserts a failed run printed exactly one `error:` line and no stack trace. */
export function assertOneLineError(
  r: { code: number; stderr: string },
  code: number,
  message: string,
) {
  assertEquals(r.code, code, r.stderr);
  const lines = r.stderr.trim().split("\n").filter((l) => l.startsWith("error"));
  assertEquals(lines.length, 1, r.stderr);
  assertStringIncludes(lines[0]!, message);
  assertFalse(/^\s+at /m.test(r.stderr), "no stack trace without --debug");
}
