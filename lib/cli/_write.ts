/**
 * Writing a command's CSV result: to a file atomically, or to standard output
 * for `--out -`.
 *
 * @module
 */
import { formatNumericCsv, type NumericTable, writeNumericCsv } from "../io/table.ts";
import { STDOUT } from "./_paths.ts";

/**
 * Writes `table` as CSV to `out` (atomically) or, when `out` is `-`, to standard output.
 *
 * @returns How to name the destination in a message: the path, or `standard output`.
 */
export async function writeCsvResult(out: string, table: NumericTable): Promise<string> {
  if (out !== STDOUT) {
    await writeNumericCsv(out, table);
    return out;
  }
  const bytes = new TextEncoder().encode(formatNumericCsv(table));
  for (let done = 0; done < bytes.length;) {
    done += await Deno.stdout.write(bytes.subarray(done));
  }
  return "standard output";
}
