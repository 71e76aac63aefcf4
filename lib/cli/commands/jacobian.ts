/**
 * `partials jacobian`: Jacobians in physical units.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { writeCsvResult } from "../_write.ts";
import { jacobiansToTable } from "../../jacobian/types.ts";
import type { JacobianMethod } from "../../surrogate/surrogate.ts";
import { loadSurrogateWithInputs } from "../../surrogate/surrogate.ts";
import { noteBatch } from "../_notes.ts";
import { printWarnings, weightsOptions } from "../_weights.ts";

/** Options of the `jacobian` command, as parsed. */
export interface JacobianCommandOptions {
  model: string;
  inputs: string;
  scaling?: string;
  method: JacobianMethod;
  weights?: string;
  exportedWeights?: string;
  out: string;
}

/** Computes the Jacobians and writes input columns, then `d<out>_d<in>` output-major. */
export async function runJacobian(options: JacobianCommandOptions): Promise<void> {
  const { surrogate, inputTable, x, points } = await loadSurrogateWithInputs(options.model, {
    inputs: options.inputs,
    ...(options.scaling !== undefined ? { scaling: options.scaling } : {}),
    ...weightsOptions(options),
  });
  noteBatch(surrogate);
  try {
    printWarnings(surrogate.warnings);
    const jac = await surrogate.jacobian(x, { method: options.method });
    const to = await writeCsvResult(options.out, jacobiansToTable(inputTable, jac));
    const how = options.method === "autodiff"
      ? "reverse-mode autodiff, float32"
      : "central differences, float64";
    console.error(
      `wrote ${points} Jacobians [${jac.outputs.length} x ${jac.inputs.length}] (${how}) to ${to}`,
    );
  } finally {
    await surrogate.dispose();
  }
}
