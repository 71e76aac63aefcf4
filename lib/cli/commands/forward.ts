/**
 * `partials forward`: predictions in physical units, read, computed and
 * written a chunk of points at a time.
 *
 * @module
 */
import type { ForwardEngine } from "../../surrogate/surrogate.ts";
import { streamPoints } from "../_stream.ts";
import { reportResult } from "../_result.ts";

/** Options of the `forward` command, as parsed. */
export interface ForwardCommandOptions {
  model: string;
  inputs: string;
  scaling?: string;
  engine: ForwardEngine;
  weights?: string;
  exportedWeights?: string;
  out: string;
  json?: true;
}

/** Runs the model on the inputs and writes input columns, then one column per output. */
export async function runForward(options: ForwardCommandOptions): Promise<void> {
  const result = await streamPoints({
    ...options,
    label: "forward",
    plan: (surrogate) => ({
      columns: surrogate.outputs,
      compute: (x) => surrogate.predict(x, { engine: options.engine }),
    }),
  });
  reportResult(
    options.json,
    {
      command: "forward",
      model: options.model,
      engine: options.engine,
      out: options.out,
      rows: result.points,
      columns: result.columns,
      inputs: result.inputs,
      outputs: result.outputs,
    },
    `wrote ${result.points} predictions of ${
      result.outputs.join(", ")
    } (${options.engine}) to ${result.to}`,
  );
}
