/**
 * `partials forward`: predictions in physical units.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { concatColumns, makeTable } from "../../io/table.ts";
import { writeCsvResult } from "../_write.ts";
import type { ForwardEngine } from "../../surrogate/surrogate.ts";
import { loadSurrogateWithInputs } from "../../surrogate/surrogate.ts";
import { noteBatch } from "../_notes.ts";
import { printWarnings, weightsOptions } from "../_weights.ts";

/** Options of the `forward` command, as parsed. */
export interface ForwardCommandOptions {
  model: string;
  inputs: string;
  scaling?: string;
  engine: ForwardEngine;
  weights?: string;
  exportedWeights?: string;
  out: string;
}

/** Runs the model on the inputs and writes input columns, then one column per output. */
export async function runForward(options: ForwardCommandOptions): Promise<void> {
  const { surrogate, inputTable, x, points } = await loadSurrogateWithInputs(options.model, {
    inputs: options.inputs,
    ...(options.scaling !== undefined ? { scaling: options.scaling } : {}),
    ...weightsOptions(options),
  });
  noteBatch(surrogate);
  try {
    printWarnings(surrogate.warnings);
    const y = await surrogate.predict(x, { engine: options.engine });
    const to = await writeCsvResult(
      options.out,
      concatColumns(inputTable, makeTable(surrogate.outputs, y)),
    );
    console.error(
      `wrote ${points} predictions of ${surrogate.outputs.join(", ")} (${options.engine}) to ${to}`,
    );
  } finally {
    await surrogate.dispose();
  }
}
