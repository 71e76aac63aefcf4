/**
 * Quoting what a file contains inside a one-line message: control characters
 * (and the invisible ones that reorder or break lines) are escaped, and at
 * most about a hundred characters are shown, so a hostile file can neither
 * paint the terminal nor flood it.
 *
 * @module
 */

// Matching control characters is the point here.
// deno-lint-ignore no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Whether `text` holds a control or invisible character (names with one are refused). */
export function hasControl(text: string): boolean {
  INVISIBLE.lastIndex = 0;
  const found = INVISIBLE.test(text);
  INVISIBLE.lastIndex = 0;
  return found;
}

/** Longest quotation, in characters. */
export const QUOTE_MAX = 100;

/**
 * Escapes control and invisible characters as `\n`, `\t` or `\uXXXX`.
 *
 * @example Usage
 * ```ts
 * import { escapeControl } from "./quote.ts";
 * if (escapeControl("a\u001b[31mb\n") !== "a\\u001b[31mb\\n") throw new Error("not escaped");
 * ```
 */
export function escapeControl(text: string): string {
  return text.replace(INVISIBLE, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/**
 * `text` in double quotes for a message: escaped, and cut to `max` characters
 * with the number left out said.
 *
 * @example Usage
 * ```ts
 * import { quote } from "./quote.ts";
 * if (quote("abc") !== '"abc"') throw new Error("plain text changed");
 * if (quote("x".repeat(150), 10) !== '"xxxxxxxxxx…" (150 characters)') throw new Error("not cut");
 * ```
 */
export function quote(text: string, max = QUOTE_MAX): string {
  const chars = [...text];
  const shown = chars.length > max ? chars.slice(0, max).join("") : text;
  const body = escapeControl(shown.replace(/\\/g, "\\\\").replace(/"/g, '\\"'));
  return chars.length > max ? `"${body}…" (${chars.length} characters)` : `"${body}"`;
}

/**
 * What another library's error says, for the end of a one-line message: the
 * whole message (a JSON parser's quotes its input across lines) with control
 * characters escaped, cut to `max` characters.
 *
 * @example Usage
 * ```ts
 * import { describeError } from "./quote.ts";
 * if (describeError(new Error("a\nb")) !== "a\\nb") throw new Error("not escaped");
 * ```
 */
export function describeError(error: unknown, max = 200): string {
  const text = escapeControl((error instanceof Error ? error.message : String(error)).trim());
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
