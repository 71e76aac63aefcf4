/**
 * `partials check`: model vs analytic reference vs finite differences, the
 * audits and the verdict.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { checkModel, type CheckModelOptions } from "../../check/check.ts";
import { checkSummary, formatCheckResult, writeCheckOutputs } from "../../check/write.ts";
import { readNumericCsv } from "../../io/table.ts";
import { loadReference } from "../../reference/load.ts";
import { loadSurrogateWithInputs } from "../../surrogate/surrogate.ts";
import { parseFailOn, verdictExitCode } from "../../verdict/fail_on.ts";
import { readUserJacobian } from "../../verdict/user_jacobian.ts";
import type { Cause } from "../../verdict/verdict.ts";
import { UsageError } from "../_errors.ts";
import { noteBatch } from "../_notes.ts";
import { parseNumberOption } from "../_parse.ts";
import { printWarnings, weightsOptions } from "../_weights.ts";
import { printJson } from "../_result.ts";

/** The verdict options shared by `check` and `verify`, as parsed (strings). */
export interface VerdictCommandOptions {
  jacobian?: string;
  data?: string;
  rtol?: string;
  atol?: string;
  r2Min?: string;
  fitTol?: string;
  failOn?: string;
}

/** Options of the `check` command, as parsed. */
export interface CheckCommandOptions extends VerdictCommandOptions {
  model: string;
  inputs: string;
  scaling?: string;
  reference: string;
  /** The model's Jacobian: the derivative graph (default) or autodiff. */
  method?: "graph" | "autodiff";
  weights?: string;
  exportedWeights?: string;
  out?: string;
  json?: true;
}

/**
 * The tolerances and the `--fail-on` set of the verdict options.
 *
 * @throws {UsageError} For a value that is not a number in range or an unknown cause.
 */
export function parseVerdictOptions(
  o: VerdictCommandOptions,
): {
  tolerances: Pick<CheckModelOptions, "rtol" | "atol" | "r2Min" | "fitTol">;
  failOn: ReadonlySet<Cause>;
} {
  const tolerances: Pick<CheckModelOptions, "rtol" | "atol" | "r2Min" | "fitTol"> = {};
  if (o.rtol !== undefined) tolerances.rtol = parseNumberOption("--rtol", o.rtol, 0);
  if (o.atol !== undefined) tolerances.atol = parseNumberOption("--atol", o.atol, 0);
  if (o.r2Min !== undefined) {
    tolerances.r2Min = parseNumberOption("--r2-min", o.r2Min, -Infinity, 1);
  }
  if (o.fitTol !== undefined) tolerances.fitTol = parseNumberOption("--fit-tol", o.fitTol, 0);
  let failOn: ReadonlySet<Cause> = new Set();
  if (o.failOn !== undefined) {
    try {
      failOn = parseFailOn(o.failOn);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return { tolerances, failOn };
}

/**
 * Runs the check, prints the verdict and the table, writes the files when
 * `--out` is given.
 *
 * @returns The exit code: 1 when the toolkit's engines disagree, 3 when a
 *   `--fail-on` cause was found, else 0.
 */
export async function runCheck(options: CheckCommandOptions): Promise<number> {
  const { tolerances, failOn } = parseVerdictOptions(options);
  const reference = await loadReference(options.reference);
  const { surrogate, x, warnings } = await loadSurrogateWithInputs(options.model, {
    inputs: options.inputs,
    ...(options.scaling !== undefined ? { scaling: options.scaling } : {}),
    ...weightsOptions(options),
  });
  noteBatch(surrogate);
  try {
    printWarnings(warnings);
    const userJacobian = options.jacobian === undefined ? undefined : readUserJacobian(
      await readNumericCsv(options.jacobian),
      surrogate.inputs,
      surrogate.outputs,
      options.jacobian,
    );
    const data = options.data === undefined
      ? undefined
      : { table: await readNumericCsv(options.data), source: options.data };
    const result = await checkModel(surrogate, reference, x, {
      ...tolerances,
      ...(options.method !== undefined ? { method: options.method } : {}),
      ...(userJacobian ? { userJacobian } : {}),
      ...(data ? { data } : {}),
    });
    if (!options.json) console.log(formatCheckResult(result));
    const written = options.out === undefined ? [] : await writeCheckOutputs(result, options.out);
    if (options.json) printJson({ ...checkSummary(result), files: written });
    else if (written.length > 0) console.error(`wrote ${written.join(", ")}`);
    const code = verdictExitCode(result.verdict.causes, failOn);
    if (code === 3) {
      console.error(
        `--fail-on: found ${
          result.verdict.causes.filter((c) => failOn.has(c)).join(", ")
        } (exit 3)`,
      );
    }
    return code;
  } finally {
    await surrogate.dispose();
  }
}
