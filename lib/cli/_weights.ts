/**
 * The weights options shared by the commands (`--weights`, `--exported-weights`)
 * and the warnings their loading may give.
 *
 * @module
 */
import { warn } from "./_warn.ts";

/** Help text of `--exported-weights`. */
export const EXPORTED_WEIGHTS_HELP =
  "the state_dict the ONNX file was exported with: weights the exporter folded are found by " +
  "value with it (default: model.pth or model.safetensors beside the model)";

/** The weights options as parsed. */
export interface WeightsCommandOptions {
  weights?: string;
  exportedWeights?: string;
}

/** The library options (`weights`, `exportedWeights`) for the given command options. */
export function weightsOptions(options: WeightsCommandOptions): WeightsCommandOptions {
  return {
    ...(options.weights !== undefined ? { weights: options.weights } : {}),
    ...(options.exportedWeights !== undefined ? { exportedWeights: options.exportedWeights } : {}),
  };
}

/** Prints each warning on standard error as `warning: …` (unless `--quiet`). */
export function printWarnings(warnings: readonly string[]): void {
  for (const warning of warnings) warn(warning);
}
