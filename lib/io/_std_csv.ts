/**
 * Typed facade over the Deno standard library's CSV module, which reaches this
 * project as the npm package `deno-std` (compiled JavaScript without types).
 *
 * @module
 */
// @ts-types="./_std_csv.d.ts"
import { parse as stdParse, stringify as stdStringify } from "deno-std/csv/mod.js";

/** Parses CSV text into rows of cells (RFC 4180 quoting), cells separated by `separator`. */
export function parseCsvRows(text: string, separator = ","): string[][] {
  return stdParse(text, { separator });
}

/**
 * The cell separator of CSV text: a comma, unless the first non-empty line has
 * none and holds semicolons or tabs (as spreadsheets write in locales with a
 * decimal comma).
 */
export function detectSeparator(text: string): "," | ";" | "\t" {
  const first = /^[^\S\r\n]*(\S[^\r\n]*)/m.exec(text)?.[1] ?? "";
  if (first.includes(",")) return ",";
  const semicolons = first.split(";").length - 1;
  const tabs = first.split("\t").length - 1;
  if (semicolons === 0 && tabs === 0) return ",";
  return tabs > semicolons ? "\t" : ";";
}

/** Serializes rows of cells to CSV text (RFC 4180: quoted where needed, `\r\n` line endings). */
export function stringifyCsvRows(rows: readonly (readonly string[])[]): string {
  return stdStringify(rows);
}
