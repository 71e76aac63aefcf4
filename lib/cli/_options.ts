/**
 * Option blocks that several commands share, added in the order their help
 * lists them. Each helper takes a command and returns it with the options
 * added, so the parsed options stay typed (`@commander-js/extra-typings`).
 *
 * @module
 */
import type { Command, OptionValues } from "@commander-js/extra-typings";
import { JSON_HELP } from "./_result.ts";
import { EXPORTED_WEIGHTS_HELP } from "./_weights.ts";

/** Help text of `--model`. */
export const MODEL_HELP = "ONNX model file";

/** Help text of an optional `--scaling`. */
export const SCALING_HELP = "scaling file (CSV Variable,Min,Max or JSON); identity without one";

/** Help text of `--weights` where it replaces the model's weights. */
const WEIGHTS_HELP = "state_dict (.pth/.pt/.safetensors) replacing the ONNX weights";

/** `--model`, `--inputs` (both required) and `--scaling`: a model evaluated at points. */
export function addModelInputs<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
  inputsHelp: string,
) {
  return command
    .requiredOption("--model <file>", MODEL_HELP)
    .requiredOption("--inputs <file>", inputsHelp)
    .option("--scaling <file>", SCALING_HELP);
}

/** `--weights` and `--exported-weights`. */
export function addWeights<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
  weightsHelp: string = WEIGHTS_HELP,
) {
  return command
    .option("--weights <file>", weightsHelp)
    .option("--exported-weights <file>", EXPORTED_WEIGHTS_HELP);
}

/** A required `--out <file>`, then `--json`. */
export function addOutFile<A extends unknown[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
  outHelp: string,
) {
  return command.requiredOption("--out <file>", outHelp).option("--json", JSON_HELP);
}

/** `--weights`, `--exported-weights`, a required `--out <file>` and `--json`. */
export function addWeightsAndOut<
  A extends unknown[],
  O extends OptionValues,
  G extends OptionValues,
>(command: Command<A, O, G>, outHelp: string) {
  return addOutFile(addWeights(command), outHelp);
}

/** Help texts of the verdict options that differ between `check` and `deno task verify`. */
export interface VerdictHelp {
  fitTol: string;
  failOn: string;
}

/**
 * The table's tolerances and the verdict's thresholds, `--rtol --atol
 * --r2-min --fit-tol --fail-on` (parsed by `parseVerdictOptions`).
 */
export function addVerdictOptions<
  A extends unknown[],
  O extends OptionValues,
  G extends OptionValues,
>(command: Command<A, O, G>, help: VerdictHelp) {
  return command
    .option("--rtol <number>", "table: relative tolerance per entry (default 0.05)")
    .option(
      "--atol <number>",
      "table: absolute tolerance per entry, × the entry's range (default 0.05)",
    )
    .option("--r2-min <number>", "verdict: smallest value R² for the values to fit (default 0.99)")
    .option("--fit-tol <number>", help.fitTol)
    .option("--fail-on <causes>", help.failOn);
}
