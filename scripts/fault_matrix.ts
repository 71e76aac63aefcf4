// deno-lint-ignore-file no-console -- a script reports what it measured
/**
 * Runs the verdict's fault matrix (`tests/testdata/faults/cases.json`, made
 * by `scripts/make_faults.ts`): `check` on every case, and prints a Markdown
 * table of each case with the command, the verdict's causes, the rows or
 * hypothesis it names, and the numbers behind them. The test
 * `tests/verdict/fault_matrix_test.ts` runs the same cases through
 * {@linkcode runFaultCase} and asserts the expected verdicts.
 *
 * Run: `npx --yes deno@2.9.6 run -A scripts/fault_matrix.ts`
 *
 * @module
 */
import { join } from "node:path";
import { checkModel, type CheckResult } from "../lib/check/check.ts";
import { readNumericCsv, readTextFile } from "../lib/io/table.ts";
import { loadReference } from "../lib/reference/load.ts";
import { loadSurrogateWithInputs } from "../lib/surrogate/surrogate.ts";
import { formatConstants } from "../lib/verdict/constants.ts";
import { readUserJacobian } from "../lib/verdict/user_jacobian.ts";

const root = new URL("../", import.meta.url).pathname;

/** One case of `cases.json`. */
export interface FaultCase {
  readonly name: string;
  readonly fault: string;
  readonly model: string;
  readonly scaling: string;
  readonly inputs: string;
  readonly reference: string;
  readonly jacobian?: string;
  readonly data?: string;
  readonly r2Min?: number;
  readonly expect: {
    readonly causes: readonly string[];
    readonly suspects?: readonly { readonly variable: string; readonly kind: "swap" | "range" }[];
    readonly hypothesis?: string;
    readonly factor?: number;
  };
}

/** The cases, paths relative to the repository root. */
export async function readFaultCases(): Promise<FaultCase[]> {
  return JSON.parse(await readTextFile(join(root, "tests/testdata/faults/cases.json")));
}

/** `check` on one case, as the command line runs it. */
export async function runFaultCase(c: FaultCase): Promise<CheckResult> {
  const path = (p: string) => join(root, p);
  const { surrogate, x } = await loadSurrogateWithInputs(path(c.model), {
    inputs: path(c.inputs),
    scaling: path(c.scaling),
  });
  try {
    const userJacobian = c.jacobian === undefined ? undefined : readUserJacobian(
      await readNumericCsv(path(c.jacobian)),
      surrogate.inputs,
      surrogate.outputs,
      c.jacobian,
    );
    return await checkModel(surrogate, await loadReference(path(c.reference)), x, {
      ...(c.r2Min !== undefined ? { r2Min: c.r2Min } : {}),
      ...(userJacobian ? { userJacobian } : {}),
      ...(c.data !== undefined
        ? { data: { table: await readNumericCsv(path(c.data)), source: c.data } }
        : {}),
    });
  } finally {
    await surrogate.dispose();
  }
}

/** The `partials check` command of a case. */
export function faultCommand(c: FaultCase): string {
  return [
    "partials check",
    `--model ${c.model}`,
    `--scaling ${c.scaling}`,
    `--inputs ${c.inputs}`,
    `--reference ${c.reference}`,
    ...(c.jacobian ? [`--jacobian ${c.jacobian}`] : []),
    ...(c.data ? [`--data ${c.data}`] : []),
    ...(c.r2Min !== undefined ? [`--r2-min ${c.r2Min}`] : []),
  ].join(" ");
}

/** What the verdict names and the numbers behind it, in a few words. */
export function faultNumbers(r: CheckResult): string {
  const v = r.verdict;
  const a = r.audits.scaling;
  const parts: string[] = [];
  if (v.scaling.suspects.length > 0) {
    const swaps = v.scaling.suspects.filter((s) => s.kind === "swap");
    const ranges = v.scaling.suspects.filter((s) => s.kind === "range");
    if (swaps.length > 0) parts.push(`swap ${swaps.map((s) => s.variable).join("↔")}`);
    if (ranges.length > 0 && ranges.length <= 2) {
      parts.push(
        ranges.map((s) =>
          `${s.variable}: file ${formatConstants(s.file)} → implied ${formatConstants(s.implied)}${
            s.evidence.includes("data") ? " (also the data)" : ""
          }`
        ).join("; "),
      );
    } else if (ranges.length > 2) {
      parts.push(`range: ${ranges.map((s) => s.variable).join(", ")}`);
    }
    parts.push(
      `1 − R² ${a.errorFile.toPrecision(2)} → ${a.errorCorrected.toPrecision(2)}`,
    );
  }
  if (v.userJacobian) {
    parts.push(
      `hypothesis ${v.userJacobian.hypothesis}${
        v.userJacobian.factor !== undefined ? ` ${v.userJacobian.factor.toPrecision(3)}` : ""
      } (vs correct ${v.userJacobian.error.toExponential(1)})`,
    );
  }
  if (v.cause === "architecture") {
    const p = r.audits.structure.probes.reduce((x, y) => (y.ratio < x.ratio ? y : x));
    parts.push(`common ${p.direction}: model moves ${p.ratio.toExponential(1)} × the reference`);
  }
  const values = r.corrected?.values ?? r.values;
  const fit = r.corrected?.fit ?? r.comparisons.fit;
  parts.push(
    `min R² ${Math.min(...values.outputs.map((o) => o.r2)).toFixed(4)}`,
    `J error ${fit.worstRowNormalized.value.toPrecision(2)} (${fit.worstRowNormalized.output})`,
  );
  return parts.join("; ");
}

if (import.meta.main) {
  const cases = await readFaultCases();
  const rows = [
    "| case | command | verdict (causes) | named, and the numbers |",
    "|---|---|---|---|",
  ];
  for (const c of cases) {
    const started = performance.now();
    const r = await runFaultCase(c);
    const seconds = (performance.now() - started) / 1000;
    const causes = r.verdict.causes.length > 0 ? r.verdict.causes.join(", ") : "ok";
    const expected = c.expect.causes.length > 0 ? c.expect.causes.join(", ") : "ok";
    rows.push(
      `| ${c.name} | \`${faultCommand(c)}\` | **${r.verdict.cause}** (${causes})${
        causes === expected ? "" : ` — EXPECTED ${expected}`
      } | ${faultNumbers(r)} |`,
    );
    console.error(`${c.name}: ${causes} (${seconds.toFixed(1)} s)`);
  }
  console.log(rows.join("\n"));
}
