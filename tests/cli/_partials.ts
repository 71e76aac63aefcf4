/**
 * Runs the CLI (`lib/cli/main.ts`) in a subprocess, as a user would, for the CLI tests.
 *
 * @module
 */
import { assertEquals, assertFalse, assertStringIncludes } from "../_assert.ts";

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

/** Runs `partials <args>` with read, write, env, ffi and sys permissions; returns its exit code and output. */
export function partials(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return partialsIn({}, ...args);
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
export async function partialsIn(
  options: RunOptions,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
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
