/**
 * partials vs PyTorch, side by side on the same points in the same run: the
 * Jacobians of the bundled models at N points (100,000 by default), by
 * PyTorch's batched autograd (`scripts/pytorch/bench_jacobian.py`, one
 * forward and m backward passes per chunk of 10,000, float32) and by partials
 * (the derivative graph, library call and the whole `partials jacobian`
 * command with its CSV input and output), repeated in turn; then how far
 * partials' Jacobians are from PyTorch's float64 autograd, and its Hessians
 * from float64 central differences of its Jacobian. With `--million`, the
 * command's time and peak memory at 10 × N points too.
 *
 * Writes its inputs and results under `out/bench_vs_pytorch/`, prints one
 * table per question with the ratios. Without `/usr/bin/python3` and torch it
 * says so and times partials alone.
 *
 * Usage:
 *   deno run -A scripts/bench_vs_pytorch.ts [--points 100000] [--repeats 3]
 *     [--models fastkan,effkan,mlp] [--million]
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { Command } from "@commander-js/extra-typings";
import { compareJacobians } from "../lib/compare/jacobians.ts";
import { finiteDifferenceJacobian } from "../lib/jacobian/finite_differences.ts";
import type { Jacobians } from "../lib/jacobian/types.ts";
import { mulberry32 } from "../lib/sampling/prng.ts";
import { loadSurrogate, type Surrogate } from "../lib/surrogate/surrogate.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OUT = `${ROOT}out/bench_vs_pytorch/`;
const PYTHON = "/usr/bin/python3";
const TORCH_SCRIPT = `${ROOT}scripts/pytorch/bench_jacobian.py`;
const CLI = `${ROOT}lib/cli/main.ts`;
/** Points for the Hessian check (float64 central differences need 2n float64 derivative runs). */
const HESSIAN_POINTS = 2000;
/** Steps of the Hessian check's central differences, as fractions of each input's range. */
const HESSIAN_STEPS = [1e-4, 1e-5, 1e-6];

const args = new Command()
  .option("--points <count>", "points per model", "100000")
  .option("--repeats <count>", "timed repetitions of each measurement", "3")
  .option("--models <names>", "bundled models", "fastkan,effkan,mlp")
  .option("--million", "also run the command on 10 × points (time and peak memory)")
  .parse(Deno.args, { from: "user" })
  .opts();
const N = Number(args.points);
const REPEATS = Number(args.repeats);
const MODELS = args.models.split(",");

interface TorchResult {
  torch: string;
  threads: number;
  forward_s: number;
  jacobian_s: number;
  jacobian_cpu_s: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function fmt(v: number, digits = 2): string {
  return v >= 100 ? v.toFixed(0) : v.toPrecision(digits + 1);
}

async function hasTorch(): Promise<boolean> {
  try {
    const r = await new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" })
      .output();
    return r.success;
  } catch {
    return false;
  }
}

/** Points uniform in each input's scaling range (seeded), `[count, n]`. */
function points(model: Surrogate, count: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const n = model.inputs.length;
  const x = new Float64Array(count * n);
  model.scaling.inputs.forEach((s, j) => {
    const lo = s.kind === "minmax" ? s.min : 0;
    const hi = s.kind === "minmax" ? s.max : 1;
    for (let k = 0; k < count; k++) x[k * n + j] = lo + (hi - lo) * rand();
  });
  return x;
}

async function writeCsv(path: string, columns: readonly string[], x: Float64Array) {
  const n = columns.length;
  const lines = [columns.join(",")];
  for (let k = 0; k < x.length / n; k++) lines.push(x.subarray(k * n, (k + 1) * n).join(","));
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
}

async function runTorch(dir: string, model: string, n: number, withReference: boolean) {
  const r = await new Deno.Command(PYTHON, {
    args: [
      TORCH_SCRIPT,
      `${ROOT}data/models/${model}`,
      `${dir}/x.f64`,
      "--n",
      String(n),
      "--repeats",
      "1",
      ...(withReference ? ["--jacobian-out", `${dir}/torch_j64.f64`] : []),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(`PyTorch failed: ${new TextDecoder().decode(r.stderr)}`);
  return JSON.parse(new TextDecoder().decode(r.stdout)) as TorchResult;
}

/** Runs the CLI; wall seconds and (when /usr/bin/time exists) peak RSS in MB. */
async function runCli(cliArgs: string[]): Promise<{ wall: number; peakMb: number | null }> {
  const deno = Deno.execPath();
  const base = [
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-ffi",
    "--allow-sys",
  ];
  let timeTool = false;
  try {
    timeTool = (await Deno.stat("/usr/bin/time")).isFile;
  } catch {
    timeTool = false;
  }
  const t0 = performance.now();
  const r = timeTool
    ? await new Deno.Command("/usr/bin/time", {
      args: ["-f", "peak_kb=%M", deno, ...base, CLI, ...cliArgs],
      stdout: "null",
      stderr: "piped",
    }).output()
    : await new Deno.Command(deno, {
      args: [...base, CLI, ...cliArgs],
      stdout: "null",
      stderr: "piped",
    })
      .output();
  const wall = (performance.now() - t0) / 1000;
  const err = new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`partials ${cliArgs[0]} failed: ${err}`);
  const peak = /peak_kb=(\d+)/.exec(err);
  return { wall, peakMb: peak ? Number(peak[1]) / 1024 : null };
}

function rangeError(calc: Float64Array, ref: Float64Array, names: Omit<Jacobians, "values">) {
  return compareJacobians({ ...names, values: calc }, { ...names, values: ref })
    .worstRangeNormalized;
}

/** `max_k |Δ| / max_k |ref|` per entry, worst entry. */
function relativeError(calc: Float64Array, ref: Float64Array, width: number): number {
  let worst = 0;
  for (let e = 0; e < width; e++) {
    let d = 0;
    let s = 0;
    for (let k = e; k < ref.length; k += width) {
      d = Math.max(d, Math.abs(calc[k]! - ref[k]!));
      s = Math.max(s, Math.abs(ref[k]!));
    }
    worst = Math.max(worst, d / (s || 1));
  }
  return worst;
}

const torchAvailable = await hasTorch();
if (!torchAvailable) {
  console.log(`${PYTHON} with torch is not available: timing partials alone, no agreement check.`);
}
await Deno.mkdir(OUT, { recursive: true });
let torchVersion = "";
const speed: string[][] = [];
const agreement: string[][] = [];
const scaling: string[][] = [];
for (const name of MODELS) {
  const dir = `${OUT}${name}`;
  await Deno.mkdir(dir, { recursive: true });
  const model = await loadSurrogate(`${ROOT}data/models/${name}/model.onnx`, {
    scaling: `${ROOT}data/seed/olhs_samples_max_min.csv`,
  });
  const n = model.inputs.length;
  const m = model.outputs.length;
  const x = points(model, N, 1);
  await Deno.writeFile(`${dir}/x.f64`, new Uint8Array(x.buffer));
  await writeCsv(`${dir}/x.csv`, model.inputs, x);
  const cliArgs = [
    "jacobian",
    "--model",
    `${ROOT}data/models/${name}/model.onnx`,
    "--inputs",
    `${dir}/x.csv`,
    "--scaling",
    `${ROOT}data/seed/olhs_samples_max_min.csv`,
    "--out",
    `${dir}/j.csv`,
  ];
  // Build the engines once, outside the timings (the command's own start-up is in its time).
  await model.jacobian(x.subarray(0, n), { method: "graph" });
  const times = { torch: [] as number[], graph: [] as number[], cli: [] as number[] };
  let torch: TorchResult | undefined;
  let graph: Float64Array | undefined;
  for (let r = 0; r < REPEATS; r++) {
    if (torchAvailable) {
      torch = await runTorch(dir, name, n, r === 0);
      times.torch.push(torch.jacobian_s);
      torchVersion = `${torch.torch}, ${torch.threads} thread(s)`;
    }
    const t0 = performance.now();
    graph = (await model.jacobian(x, { method: "graph" })).values;
    times.graph.push((performance.now() - t0) / 1000);
    times.cli.push((await runCli(cliArgs)).wall);
  }
  const [tTorch, tGraph, tCli] = [median(times.torch), median(times.graph), median(times.cli)];
  // Ratios pair by pair (each PyTorch run with the partials runs right after it), then the
  // median: a drift of the machine's speed during the run moves both sides of a pair.
  const ratio = (other: number[]) => median(times.torch.map((t, r) => t / other[r]!));
  speed.push([
    name,
    torchAvailable ? fmt(tTorch) : "–",
    fmt(tGraph),
    torchAvailable ? `${fmt(ratio(times.graph))}×` : "–",
    fmt(tCli),
    torchAvailable ? `${fmt(ratio(times.cli))}×` : "–",
  ]);

  const names = { points: N, outputs: model.outputs, inputs: model.inputs };
  if (torchAvailable) {
    const ref = new Float64Array((await Deno.readFile(`${dir}/torch_j64.f64`)).buffer);
    const graph64 = (await model.jacobian(x, { method: "graph", dtype: "float64" })).values;
    const e32 = rangeError(graph!, ref, names);
    const e64 = relativeError(graph64, ref, m * n);
    agreement.push([name, `${fmt(e32.value)} (${e32.label})`, fmt(e64)]);
  }
  // Hessians vs float64 central differences of the float64 Jacobian, at the first points,
  // at three steps (fractions of each input's range): the differences' truncation error
  // falls as h², down to the Hessian's agreement.
  const xh = x.subarray(0, HESSIAN_POINTS * n);
  const hessian = (await model.derivatives(xh, { order: 2, dtype: "float64" })).hessian!;
  const hNames = {
    points: HESSIAN_POINTS,
    outputs: model.outputs.flatMap((o) => model.inputs.map((i) => `d${o}_d${i}`)),
    inputs: model.inputs,
  };
  const hessianErrors: string[] = [];
  for (const step of HESSIAN_STEPS) {
    const fd = await finiteDifferenceJacobian(
      async (v) => (await model.derivatives(v, { dtype: "float64" })).jacobian,
      xh,
      {
        points: HESSIAN_POINTS,
        inputWidth: n,
        outputWidth: m * n,
        step: model.scaling.inputs.map((s) => step / s.scale),
      },
    );
    const eh = rangeError(hessian, fd.values, hNames);
    hessianErrors.push(`${fmt(eh.value)} (${eh.label})`);
  }
  const last = agreement.at(-1);
  if (last !== undefined && last[0] === name) last.push(...hessianErrors);
  else agreement.push([name, "–", "–", ...hessianErrors]);

  if (args.million) {
    const big = points(model, 10 * N, 2);
    await writeCsv(`${dir}/x10.csv`, model.inputs, big);
    const small = await runCli(cliArgs);
    const large = await runCli(
      cliArgs.map((a) =>
        a === `${dir}/x.csv` ? `${dir}/x10.csv` : a === `${dir}/j.csv` ? `${dir}/j10.csv` : a
      ),
    );
    scaling.push([
      name,
      fmt(small.wall),
      fmt(large.wall),
      `${fmt(large.wall / (10 * small.wall))}`,
      large.peakMb === null ? "–" : fmt(large.peakMb, 3),
    ]);
  }
  await model.dispose();
}

function table(title: string, header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(r));
}

table(
  `Jacobian of ${
    N.toLocaleString("en-US")
  } points, seconds (median of ${REPEATS}, the same points, in turn${
    torchVersion ? `; PyTorch ${torchVersion}` : ""
  })`,
  ["model", "PyTorch autograd", "partials graph", "ratio", "partials CLI incl. CSV", "ratio"],
  speed,
);
table(
  "Agreement: float32 graph vs PyTorch float64 autograd (fraction of each entry's range), float64 graph vs PyTorch (relative), float64 Hessian vs float64 central differences of the Jacobian (fraction of each entry's range)",
  [
    "model",
    "float32 J",
    "float64 J",
    ...HESSIAN_STEPS.map((h) => `H, ${HESSIAN_POINTS} points, FD step ${h}`),
  ],
  agreement,
);
if (scaling.length > 0) {
  table(
    `partials jacobian at ${N.toLocaleString("en-US")} and ${
      (10 * N).toLocaleString("en-US")
    } points`,
    ["model", `${N} s`, `${10 * N} s`, "ratio to 10×", "peak MB"],
    scaling,
  );
}
