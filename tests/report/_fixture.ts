/**
 * Check results of the bundled models on the seed case, with PyTorch parity and
 * the step sweep, computed once per test process, and a refit report's input,
 * for the report tests.
 *
 * @module
 */
import { checkModel, type CheckResult } from "../../lib/check/check.ts";
import {
  checkOracleParity,
  type OracleParity,
  oracleStepSweep,
  readOracle,
} from "../../lib/check/oracle.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import type { StepSweepRow } from "../../lib/jacobian/finite_differences.ts";
import { loadReference } from "../../lib/reference/load.ts";
import { evaluateOnPoints, type RefitReportInput } from "../../lib/report/refit_report.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";
import { bundledPaths, SEED } from "../_bundled.ts";

/** A bundled model's check with what `verify` adds. */
export interface VerifiedModel {
  readonly name: string;
  readonly check: CheckResult;
  readonly parity: OracleParity;
  readonly sweep: StepSweepRow[];
}

const cache = new Map<string, Promise<VerifiedModel>>();

/** `verify`'s measurements of one bundled model at the seed case's 200 points (cached). */
export function verifiedModel(name: string): Promise<VerifiedModel> {
  let p = cache.get(name);
  if (!p) {
    p = (async () => {
      const paths = bundledPaths(name);
      const surrogate = await loadSurrogate(paths.onnx, { scaling: SEED.scaling });
      try {
        const x = (await readNumericCsv(SEED.inputs)).data;
        const oracle = await readOracle(paths.oracle);
        return {
          name,
          check: await checkModel(surrogate, await loadReference(SEED.equations), x),
          parity: await checkOracleParity(surrogate, oracle),
          sweep: await oracleStepSweep(surrogate, oracle),
        };
      } finally {
        await surrogate.dispose();
      }
    })();
    cache.set(name, p);
  }
  return p;
}

let refitInput: Promise<RefitReportInput> | undefined;

/**
 * A refit report's input (cached): the bundled FastKAN before and the
 * committed refit after (`tests/testdata/refit/fastkan`), at the 200 points of the seed inputs.
 */
export function refitReportInput(): Promise<RefitReportInput> {
  refitInput ??= makeRefitReportInput();
  return refitInput;
}

async function makeRefitReportInput(): Promise<RefitReportInput> {
  const summary = JSON.parse(
    await Deno.readTextFile(new URL("../testdata/refit/fastkan/summary.json", import.meta.url)),
  );
  const x = (await readNumericCsv(SEED.inputs)).data;
  const reference = await loadReference(SEED.equations);
  const targets = reference.evaluate(x, x.length / 4);
  const before = await loadSurrogate(bundledPaths("fastkan").onnx, { scaling: SEED.scaling });
  const after = await loadSurrogate(
    new URL("../testdata/refit/fastkan/model.onnx", import.meta.url).pathname,
    { scaling: SEED.scaling },
  );
  try {
    return {
      model: "data/models/fastkan/model.onnx",
      inputs: before.inputs,
      outputs: before.outputs,
      lambda: summary.lambda,
      history: summary.history,
      bestEpoch: summary.bestEpoch,
      holdout: { x, values: targets.values, jacobian: targets.jacobian },
      before: await evaluateOnPoints(before, x),
      after: await evaluateOnPoints(after, x),
    };
  } finally {
    await before.dispose();
    await after.dispose();
  }
}
