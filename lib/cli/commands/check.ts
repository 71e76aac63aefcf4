/**
 * `partials check`: model vs analytic reference vs finite differences.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { checkModel } from "../../check/check.ts";
import { formatCheckResult, writeCheckOutputs } from "../../check/write.ts";
import { loadReference } from "../../reference/load.ts";
import { loadSurrogateWithInputs } from "../../surrogate/surrogate.ts";
import { noteBatch } from "../_notes.ts";
import { printWarnings, weightsOptions } from "../_weights.ts";

/** Options of the `check` command, as parsed. */
export interface CheckCommandOptions {
  model: string;
  inputs: string;
  scaling?: string;
  reference: string;
  weights?: string;
  exportedWeights?: string;
  out?: string;
}

/** Runs the check, prints the table and the diagnosis, writes the files when `--out` is given. */
export async function runCheck(options: CheckCommandOptions): Promise<void> {
  const reference = await loadReference(options.reference);
  const { surrogate, x } = await loadSurrogateWithInputs(options.model, {
    inputs: options.inputs,
    ...(options.scaling !== undefined ? { scaling: options.scaling } : {}),
    ...weightsOptions(options),
  });
  noteBatch(surrogate);
  try {
    printWarnings(surrogate.warnings);
    const result = await checkModel(surrogate, reference, x);
    console.log(formatCheckResult(result));
    if (options.out !== undefined) {
      const written = await writeCheckOutputs(result, options.out);
      console.error(`wrote ${written.join(", ")}`);
    }
  } finally {
    await surrogate.dispose();
  }
}
