/**
 * How a command reports its result: a line on standard error for people, or
 * with `--json` the same facts as one JSON document on standard output.
 *
 * @module
 */
// deno-lint-ignore-file no-console

/** Help text of every command's `--json`. */
export const JSON_HELP = "print the result as JSON on standard output";

/** Prints `value` as indented JSON on standard output. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/**
 * Reports a command's result: `summary` as JSON on standard output when `json`
 * is set, else `line` on standard error (standard output may hold the CSV).
 */
export function reportResult(json: boolean | undefined, summary: unknown, line: string): void {
  if (json) printJson(summary);
  else console.error(line);
}
