/**
 * `partials sample`: optimal Latin hypercube samples within bounds.
 *
 * @module
 */
import { openCsvWriter } from "../../io/csv_stream.ts";
import { latinHypercube } from "../../sampling/latin_hypercube.ts";
import { readBounds } from "../../sampling/bounds.ts";
import { parseIntegerOption } from "../_parse.ts";
import { reportResult } from "../_result.ts";

/** Options of the `sample` command, as parsed. */
export interface SampleCommandOptions {
  bounds: string;
  n: string;
  seed: string;
  out: string;
  json?: true;
}

/** Reads the bounds, draws the samples and writes them atomically. */
export async function runSample(options: SampleCommandOptions): Promise<void> {
  const n = parseIntegerOption("--n", options.n, 1);
  const seed = parseIntegerOption("--seed", options.seed, 0, 2 ** 32 - 1);
  const bounds = await readBounds(options.bounds);
  const table = latinHypercube(bounds, n, { seed });
  const writer = await openCsvWriter(options.out, table.columns);
  try {
    await writer.write(table);
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const to = options.out === "-" ? "standard output" : options.out;
  reportResult(
    options.json,
    {
      command: "sample",
      bounds: options.bounds,
      out: options.out,
      rows: n,
      columns: table.columns,
      seed,
    },
    `wrote ${n} points of ${bounds.names.join(", ")} to ${to} (seed ${seed})`,
  );
}
