/**
 * Refits models of the seed case with the seed equations (gradient-enhanced,
 * the library's default schedule: Adam, then L-BFGS, with adaptive sampling in
 * the box of the samples), writes each under `out/refit_seed/<model>/`
 * (model.onnx, model.safetensors, summary.json, refit_outputs.json), and prints
 * a before/after table on the held-out points `data/seed/olhs_input.csv`: worst
 * and median row-normalized Jacobian error per output, value R², wall and CPU time.
 * `out/refit_seed/table.json` holds the same numbers.
 *
 * Run: `deno run -A scripts/refit_seed.ts [--models fastkan,effkan,mlp] [--points 2000]
 * [--budget 180] [--epochs E] [--lbfgs I] [--lambda L] [--lr R] [--batch B]
 * [--schedule cosine|constant] [--no-adaptive] [--seed S] [--out DIR]`.
 * A model is a folder name under `data/models/` (`fastkan`) or a path to a
 * folder with `model.onnx` and `scaling.csv`. Seeded: the same arguments give
 * the same files when no budget stops a run early.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { basename, dirname, join, resolve } from "node:path";
import process from "node:process";
import { Command } from "@commander-js/extra-typings";
import { writeFileAtomic } from "../lib/io/atomic.ts";
import { readNumericCsv } from "../lib/io/table.ts";
import { loadReference } from "../lib/reference/load.ts";
import {
  evaluateSurrogate,
  formatRefitTable,
  refit,
  refitDataFromReference,
  type RefitMetrics,
  type RefitOptions,
  selectRows,
  writeRefit,
} from "../lib/refit/mod.ts";
import { makeBounds } from "../lib/sampling/bounds.ts";
import { loadSurrogate, makeSurrogate, selectInputColumns } from "../lib/surrogate/surrogate.ts";

const root = new URL("../", import.meta.url).pathname;
const SEED_DIR = join(root, "data/seed");

const program = new Command()
  .option(
    "--models <list>",
    "models to refit (names under data/models or folders)",
    "fastkan,effkan,mlp",
  )
  .option("--points <n>", "training points: the first n rows of olhs_samples.csv", "2000")
  .option("--budget <seconds>", "wall-clock budget per model", "180")
  .option("--epochs <n>", "maximum Adam epochs")
  .option("--lbfgs <n>", "maximum L-BFGS iterations")
  .option("--lambda <x>", "Jacobian weight")
  .option("--lr <x>", "Adam learning rate")
  .option("--batch <n>", "minibatch size")
  .option("--schedule <s>", "Adam learning-rate schedule: cosine or constant")
  .option("--adam-share <x>", "share of the budget for Adam")
  .option("--no-adaptive", "no adaptive sampling")
  .option("--weighting <w>", "Jacobian entry weighting: entry or row")
  .option("--cpu-clock", "measure the budget in CPU time of this process (for a busy machine)")
  .option("--seed <n>", "seed", "0")
  .option("--out <dir>", "output folder", join(root, "out/refit_seed"))
  .parse(Deno.args, { from: "user" });
const opts = program.opts();

const reference = await loadReference(join(SEED_DIR, "equations.json"));
const samplesPath = join(SEED_DIR, "olhs_samples.csv");
const heldPath = join(SEED_DIR, "olhs_input.csv");
const samples = await readNumericCsv(samplesPath);
const held = await readNumericCsv(heldPath);
const rows: Record<string, unknown>[] = [];
for (const spec of opts.models.split(",")) {
  const dir = spec.includes("/") ? resolve(spec) : join(root, "data/models", spec);
  const name = spec.includes("/") ? `${basename(dirname(dir))}_${basename(dir)}` : spec;
  const surrogate = await loadSurrogate(join(dir, "model.onnx"), {
    scaling: join(dir, "scaling.csv"),
  });
  const all = refitDataFromReference(
    reference,
    selectInputColumns(samples, surrogate.inputs, samplesPath),
    { source: samplesPath },
  );
  const points = Math.min(Number(opts.points), all.points);
  const data = selectRows(all, Array.from({ length: points }, (_, k) => k));
  const heldData = refitDataFromReference(
    reference,
    selectInputColumns(held, surrogate.inputs, heldPath),
    { source: heldPath },
  );
  const n = surrogate.inputs.length;
  const lo = surrogate.inputs.map((_, j) => Math.min(...rowsOf(data.x, n, j)));
  const hi = surrogate.inputs.map((_, j) => Math.max(...rowsOf(data.x, n, j)));
  const options: RefitOptions = {
    seed: Number(opts.seed),
    budgetMs: 1000 * Number(opts.budget),
    ...(opts.cpuClock ? { clock: () => process.cpuUsage().user / 1000 } : {}),
    ...(opts.epochs !== undefined ? { epochs: Number(opts.epochs) } : {}),
    ...(opts.lbfgs !== undefined ? { lbfgsIterations: Number(opts.lbfgs) } : {}),
    ...(opts.lambda !== undefined ? { lambda: Number(opts.lambda) } : {}),
    ...(opts.lr !== undefined ? { learningRate: Number(opts.lr) } : {}),
    ...(opts.batch !== undefined ? { batchSize: Number(opts.batch) } : {}),
    ...(opts.schedule !== undefined ? { schedule: opts.schedule as "cosine" | "constant" } : {}),
    ...(opts.adamShare !== undefined ? { adamShare: Number(opts.adamShare) } : {}),
    ...(opts.weighting !== undefined ? { weighting: opts.weighting as "entry" | "row" } : {}),
    ...(opts.adaptive
      ? { adaptive: { reference, bounds: makeBounds(surrogate.inputs, { min: lo, max: hi }) } }
      : {}),
  };
  console.error(
    `refitting ${name} on ${points} points: ${
      JSON.stringify({ ...options, adaptive: opts.adaptive })
    }`,
  );
  const result = await refit(surrogate, data, {
    ...options,
    onEpoch: (i) => {
      if (i.phase === "adam" ? i.step % 10 === 0 : i.step % 50 === 0) {
        console.error(
          `  ${i.phase} ${i.step}: held-out loss ${i.holdoutLoss.toExponential(3)}, worst J error ${
            i.holdoutJacobianError.map((e) => e.toFixed(4)).join(" ")
          } (best ${i.bestEpoch}), ${(i.elapsedMs / 1000).toFixed(0)} s, ${i.trainPoints} points`,
        );
      }
    },
  });
  const before = await evaluateSurrogate(surrogate, heldData);
  const refitModel = makeSurrogate(result.onnx, surrogate.scaling);
  const after = await evaluateSurrogate(refitModel, heldData);
  const outputs = await refitModel.predict(heldData.x);
  const jac = await refitModel.jacobian(heldData.x);
  await refitModel.dispose();
  await surrogate.dispose();
  const outDir = join(opts.out, name);
  await writeRefit(result, outDir, {
    protect: [join(dir, "model.pth"), join(dir, "model.safetensors"), samplesPath, heldPath],
    extra: {
      model: dir.startsWith(root)
        ? dir.slice(root.length) + "/model.onnx"
        : join(dir, "model.onnx"),
      samples: `data/seed/olhs_samples.csv (first ${points} rows)`,
      heldOut: { points: "data/seed/olhs_input.csv", before, after },
    },
  });
  await writeFileAtomic(
    join(outDir, "refit_outputs.json"),
    JSON.stringify({
      about:
        "The refit model at data/seed/olhs_input.csv: onnxruntime outputs and tfjs Jacobians, physical units",
      points_physical: chunk(Array.from(heldData.x), n),
      outputs_physical: chunk(Array.from(outputs), surrogate.outputs.length),
      jacobian_physical: chunk(chunk(Array.from(jac.values), n), surrogate.outputs.length),
    }) + "\n",
  );
  const t = result.timings;
  const row = {
    model: name,
    outputs: result.outputs,
    stopReason: result.stopReason,
    adamEpochs: result.adamEpochs,
    lbfgsIterations: result.lbfgs.iterations,
    trainPoints: result.split.train,
    addedPoints: result.split.added,
    wallSeconds: t.totalMs / 1000,
    cpuUserSeconds: t.cpuUserMs / 1000,
    before: summarize(before),
    after: summarize(after),
  };
  rows.push(row);
  console.log(
    `${name}: ${result.stopReason}, ${result.adamEpochs} Adam epochs + ${result.lbfgs.iterations} L-BFGS iterations (best ${result.bestEpoch} of ${result.epochsRun}), ` +
      `${result.split.train} training points (${result.split.added} added), wall ${
        (t.totalMs / 1000).toFixed(1)
      } s, CPU ${(t.cpuUserMs / 1000).toFixed(1)} s, held-out points data/seed/olhs_input.csv\n${
        formatRefitTable(before, after)
      }\n` +
      `median row-norm. error: ${row.before.median.map(fmt).join(" ")} → ${
        row.after.median.map(fmt).join(" ")
      }\n`,
  );
}
await writeFileAtomic(join(opts.out, "table.json"), JSON.stringify(rows, null, 2) + "\n");
console.log(markdownTable(rows as unknown as TableRow[]));

interface TableRow {
  model: string;
  outputs: string[];
  stopReason: string;
  adamEpochs: number;
  lbfgsIterations: number;
  trainPoints: number;
  addedPoints: number;
  wallSeconds: number;
  cpuUserSeconds: number;
  before: { worst: number[]; median: number[]; r2: number[] };
  after: { worst: number[]; median: number[]; r2: number[] };
}

/**
 * The README table: per model and output, worst and median row-normalized
 * Jacobian error and R² before → after, whether the target (< 1 % worst on every
 * output, no R² lower) is reached, and the time.
 */
function markdownTable(table: readonly TableRow[]): string {
  const pct = (v: number) =>
    (100 * v >= 10 ? (100 * v).toFixed(0) : (100 * v).toPrecision(2)) + " %";
  const lines = [
    "| model | output | worst J error before → after | median before → after | R² before → after | target | time (wall / CPU) |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of table) {
    const reached = r.after.worst.every((e) => e < 0.01) &&
      r.after.r2.every((v, i) => v >= r.before.r2[i]!);
    r.after.worst.forEach((_, i) => {
      lines.push(
        `| ${i === 0 ? r.model : ""} | ${r.outputs[i]} | ${pct(r.before.worst[i]!)} → **${
          pct(r.after.worst[i]!)
        }** | ${pct(r.before.median[i]!)} → ${pct(r.after.median[i]!)} | ${
          r.before.r2[i]!.toFixed(5)
        } → ${r.after.r2[i]!.toFixed(5)} | ${i === 0 ? (reached ? "reached" : "missed") : ""} | ${
          i === 0 ? `${r.wallSeconds.toFixed(0)} s / ${r.cpuUserSeconds.toFixed(0)} s` : ""
        } |`,
      );
    });
  }
  return lines.join("\n");
}

function summarize(m: RefitMetrics) {
  return {
    worst: m.outputs.map((o) => o.jacobianRowNormalizedError),
    median: m.outputs.map((o) => o.jacobianRowNormalizedMedian),
    r2: m.outputs.map((o) => o.r2),
  };
}

function fmt(v: number): string {
  return v >= 0.01 ? v.toFixed(4) : v.toExponential(2);
}

function rowsOf(x: Float64Array, n: number, j: number): number[] {
  const out: number[] = [];
  for (let k = j; k < x.length; k += n) out.push(x[k]!);
  return out;
}

function chunk<T>(values: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}
