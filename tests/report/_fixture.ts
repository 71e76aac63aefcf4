/**
 * Check results of the bundled models on the seed case, with PyTorch parity and
 * the step sweep, computed once per test process for the report tests.
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
