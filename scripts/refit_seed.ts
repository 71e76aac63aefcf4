/**
 * Refits the bundled FastKAN and MLP on the seed case with the seed equations
 * (gradient-enhanced, λ > 0), writes each under `out/refit_seed/<model>/`
 * (model.onnx, model.safetensors, summary.json, refit_outputs.json), and prints
 * a before/after table on the held-out points `data/seed/olhs_input.csv`.
 *
 * Run: `deno run -A scripts/refit_seed.ts [--models fastkan,mlp] [--points 2000]
 * [--epochs E] [--lambda L] [--lr R] [--batch B] [--seed S] [--out DIR]`.
 * Seeded: the same arguments give the same files.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { join } from "node:path";
import { Command } from "@commander-js/extra-typings";
import { writeFileAtomic } from "../lib/io/atomic.ts";
import { readNumericCsv } from "../lib/io/table.ts";
import { loadReference } from "../lib/reference/load.ts";
import {
  evaluateSurrogate,
  formatRefitTable,
  refit,
  refitDataFromReference,
  type RefitOptions,
  selectRows,
  writeRefit,
} from "../lib/refit/mod.ts";
import { loadSurrogate, makeSurrogate, selectInputColumns } from "../lib/surrogate/surrogate.ts";

const root = new URL("../", import.meta.url).pathname;
const SEED_DIR = join(root, "data/seed");

/** Hyper-parameters per model, chosen so each refit meets the targets within the time budget. */
const TUNED: Record<string, RefitOptions> = {
  fastkan: { lambda: 1, epochs: 300, batchSize: 64, learningRate: 3e-3, patience: 40 },
  mlp: { lambda: 0.1, epochs: 150, batchSize: 64, learningRate: 2e-3, patience: 30 },
};

const program = new Command()
  .option("--models <list>", "bundled models to refit", "fastkan,mlp")
  .option("--points <n>", "training points: the first n rows of olhs_samples.csv", "2000")
  .option("--epochs <n>", "maximum epochs (default: tuned per model)")
  .option("--lambda <x>", "Jacobian weight (default: tuned per model)")
  .option("--lr <x>", "learning rate (default: tuned per model)")
  .option("--batch <n>", "minibatch size (default: tuned per model)")
  .option("--seed <n>", "seed", "0")
  .option("--out <dir>", "output folder", join(root, "out/refit_seed"))
  .parse(Deno.args, { from: "user" });
const opts = program.opts();

const reference = await loadReference(join(SEED_DIR, "equations.json"));
const samplesPath = join(SEED_DIR, "olhs_samples.csv");
const heldPath = join(SEED_DIR, "olhs_input.csv");
const samples = await readNumericCsv(samplesPath);
const held = await readNumericCsv(heldPath);
const rows: string[] = [];
for (const name of opts.models.split(",")) {
  const dir = join(root, "data/models", name);
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
  const tuned = TUNED[name] ?? {};
  const options: RefitOptions = {
    ...tuned,
    seed: Number(opts.seed),
    ...(opts.epochs !== undefined ? { epochs: Number(opts.epochs) } : {}),
    ...(opts.lambda !== undefined ? { lambda: Number(opts.lambda) } : {}),
    ...(opts.lr !== undefined ? { learningRate: Number(opts.lr) } : {}),
    ...(opts.batch !== undefined ? { batchSize: Number(opts.batch) } : {}),
  };
  console.error(`refitting ${name} on ${points} points: ${JSON.stringify(options)}`);
  const started = performance.now();
  const result = await refit(surrogate, data, {
    ...options,
    onEpoch: (i) => {
      if (i.epoch % 25 === 0) {
        console.error(
          `  epoch ${i.epoch}: held-out loss ${
            i.holdoutLoss.toExponential(3)
          } (best ${i.bestEpoch}), ${(i.elapsedMs / 1000).toFixed(0)} s`,
        );
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
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
      model: `data/models/${name}/model.onnx`,
      samples: `data/seed/olhs_samples.csv (first ${points} rows)`,
      heldOut: { points: "data/seed/olhs_input.csv", before, after },
    },
  });
  await writeFileAtomic(
    join(outDir, "refit_outputs.json"),
    JSON.stringify({
      about:
        "The refit model at data/seed/olhs_input.csv: onnxruntime outputs and tfjs Jacobians, physical units",
      points_physical: chunk(Array.from(heldData.x), 4),
      outputs_physical: chunk(Array.from(outputs), surrogate.outputs.length),
      jacobian_physical: chunk(
        chunk(Array.from(jac.values), surrogate.inputs.length),
        surrogate.outputs.length,
      ),
    }) + "\n",
  );
  const table = formatRefitTable(before, after);
  rows.push(
    `${name}: ${result.epochsRun} epochs (best ${result.bestEpoch}), ${
      seconds.toFixed(1)
    } s, λ = ${result.options.lambda}, held-out points data/seed/olhs_input.csv\n${table}`,
  );
  console.log(rows.at(-1) + "\n");
}

function chunk<T>(values: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}
