/**
 * Warnings of the command line: one line each on standard error, `warning: …`,
 * silenced by the global `--quiet`. Every command prints its warnings through
 * {@linkcode warn}.
 *
 * @module
 */
// deno-lint-ignore-file no-console

let quiet = false;

/** Silences (or restores) {@linkcode warn} for the rest of the run: the global `--quiet`. */
export function setQuiet(value: boolean): void {
  quiet = value;
}

/** True under the global `--quiet` (progress lines are silenced too). */
export function isQuiet(): boolean {
  return quiet;
}

/**
 * Prints `warning: <message>` on standard error, unless `--quiet` was given.
 * A message is one line: only its first line is printed.
 */
export function warn(message: string): void {
  if (!quiet) console.error(`warning: ${message.split("\n")[0]}`);
}
