/**
 * Typed facade over the Deno standard library's CSV module, which reaches this
 * project as the npm package `deno-std` (compiled JavaScript without types).
 *
 * @module
 */
// @ts-types="./_std_csv.d.ts"
import { parse as stdParse, stringify as stdStringify } from "deno-std/csv/mod.js";

/** Parses CSV text into rows of cells (RFC 4180 quoting). */
export function parseCsvRows(text: string): string[][] {
  return stdParse(text);
}

/** Serializes rows of cells to CSV text (RFC 4180: quoted where needed, `\r\n` line endings). */
export function stringifyCsvRows(rows: readonly (readonly string[])[]): string {
  return stdStringify(rows);
}
