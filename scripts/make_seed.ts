// deno-lint-ignore-file no-console -- a script reports what it wrote
/**
 * Generates the bundled seed case in `data/seed/` (or the folder given with
 * `--out`): the user's four equations, 3000 optimal Latin hypercube training
 * samples with the equations evaluated in float64, their `Variable,Min,Max`
 * table, and 200 held-out evaluation points. Seeded: a rerun writes the same
 * bytes. It reads nothing, and every file is written atomically.
 *
 * Run: `npx --yes deno@2.9.6 run --allow-read --allow-write scripts/make_seed.ts [--out DIR]`
 *
 * @module
 */
import { stringifyCsvRows } from "../lib/io/_std_csv.ts";
import { writeFileAtomic } from "../lib/io/atomic.ts";
import { concatColumns, formatNumericCsv, makeTable, type NumericTable } from "../lib/io/table.ts";
import { latinHypercube, makeBounds } from "../lib/sampling/mod.ts";

const INPUTS = ["x1", "x2", "x3", "x4"];
const OUTPUTS = ["f1", "f2", "f3", "f4"];
/** The equations of the user report, in mathjs syntax. */
const EQUATIONS: Record<string, string> = {
  f1: "0.4*x1^2 + 0.2*x2^2 + 0.1*x3^(7/2) + 0.3*x4^(3/2)",
  f2: "3*x1 + 4*x2 + 5*x3 + 6*x4 + sin(x1)*cos(x2)",
  f3: "sin(x1) + cos(x2) + 0.05*exp(x3) + 0.1*exp(x4)",
  f4: "200*x1^2 + 6*exp(x2) + 1*x1^3 + 4*exp(x4)",
};
const TRAIN = { n: 3000, seed: 0, min: 0.5, max: 2.5 };
/** Held-out points: another seed, strictly inside the training box. */
const HELD_OUT = { n: 200, seed: 1, min: 0.55, max: 2.45 };

/** The same equations written directly in float64 JavaScript (the user's `true_forward`). */
function equations(x: ArrayLike<number>): number[] {
  const [x1, x2, x3, x4] = [x[0]!, x[1]!, x[2]!, x[3]!];
  return [
    0.4 * x1 ** 2 + 0.2 * x2 ** 2 + 0.1 * x3 ** (7 / 2) + 0.3 * x4 ** (3 / 2),
    3 * x1 + 4 * x2 + 5 * x3 + 6 * x4 + Math.sin(x1) * Math.cos(x2),
    Math.sin(x1) + Math.cos(x2) + 0.05 * Math.exp(x3) + 0.1 * Math.exp(x4),
    200 * x1 ** 2 + 6 * Math.exp(x2) + 1 * x1 ** 3 + 4 * Math.exp(x4),
  ];
}

function box(lo: number, hi: number) {
  return makeBounds(INPUTS, { min: INPUTS.map(() => lo), max: INPUTS.map(() => hi) });
}

function evaluate(x: NumericTable): NumericTable {
  const f = new Float64Array(x.rows * OUTPUTS.length);
  for (let r = 0; r < x.rows; r++) {
    f.set(equations(x.data.subarray(r * INPUTS.length, (r + 1) * INPUTS.length)), r * 4);
  }
  return makeTable(OUTPUTS, f);
}

function rangeTable(table: NumericTable): string {
  const rows = [["Variable", "Min", "Max"]];
  table.columns.forEach((name, c) => {
    let lo = Infinity, hi = -Infinity;
    for (let r = 0; r < table.rows; r++) {
      const v = table.data[r * table.columns.length + c]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    rows.push([name, String(lo), String(hi)]);
  });
  return stringifyCsvRows(rows);
}

function outFolder(args: string[]): string {
  const i = args.indexOf("--out");
  if (i < 0) return new URL("../data/seed", import.meta.url).pathname;
  const dir = args[i + 1];
  if (dir === undefined || dir.startsWith("--")) {
    throw new Error("Cannot run: --out needs a folder");
  }
  return dir;
}

async function main(): Promise<void> {
  const out = outFolder(Deno.args);
  const train = latinHypercube(box(TRAIN.min, TRAIN.max), TRAIN.n, { seed: TRAIN.seed });
  const samples = concatColumns(train, evaluate(train));
  const heldOut = latinHypercube(box(HELD_OUT.min, HELD_OUT.max), HELD_OUT.n, {
    seed: HELD_OUT.seed,
  });
  for (const v of heldOut.data) {
    if (!(v > HELD_OUT.min && v < HELD_OUT.max)) {
      throw new Error(`Cannot make the seed: held-out value ${v} is not strictly inside the box`);
    }
  }
  const spec = { inputs: INPUTS, outputs: EQUATIONS };
  await writeFileAtomic(`${out}/equations.json`, JSON.stringify(spec, null, 2) + "\n");
  await writeFileAtomic(`${out}/olhs_samples.csv`, formatNumericCsv(samples));
  await writeFileAtomic(`${out}/olhs_samples_max_min.csv`, rangeTable(samples));
  await writeFileAtomic(`${out}/olhs_input.csv`, formatNumericCsv(heldOut));
  console.log(
    `Wrote ${out}: equations.json, olhs_samples.csv (${samples.rows} rows), ` +
      `olhs_samples_max_min.csv, olhs_input.csv (${heldOut.rows} rows)`,
  );
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
