/**
 * The long fuzz run: the hand-written hostile corpus, then N seeded mutants of
 * the bundled ONNX, `.pth`, `.safetensors`, inputs, scaling and equations files
 * (see `tests/fuzz/`), each through the command that reads it. The short run
 * of the test suite is the same machinery with fewer cases.
 *
 * Cases run in worker processes, watched from outside: a case that prints
 * nothing for 30 s is a hang, a worker above 2 GB of resident memory a
 * blow-up, a worker that dies a crash; the worker is then restarted at the
 * next case. Inside, each run is judged (see `tests/fuzz/_harness.ts`): exit
 * code, one error line naming the file, no control characters, no code run
 * (a marker file), no input or earlier output changed, no partial file.
 *
 *   deno run -A scripts/fuzz.ts [--cases 10000] [--seed 20261201] [--workers 2] [--out out/fuzz]
 *
 * Writes `<out>/summary.json` and prints the summary.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { Command } from "@commander-js/extra-typings";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/io/atomic.ts";
import { KINDS, mutantCase } from "../tests/fuzz/_cases.ts";
import { type FileKind, hostileCorpus } from "../tests/fuzz/_hostile.ts";
import { type CaseResult, prepareContext, runCase } from "../tests/fuzz/_harness.ts";

/** Watchdog thresholds: a case silent this long is a hang; a worker this large, a blow-up. */
interface Limits {
  hangMs: number;
  blowupBytes: number;
}
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env", "--allow-ffi", "--allow-sys"];

/** What a worker reports per case. */
interface Line {
  index: number;
  kind: FileKind;
  origin: string;
  status: CaseResult["status"];
  problem?: string;
  line?: string;
  ms: number;
}

/**
 * Runs cases `[from, to)` of the list (hostile corpus first, then mutants) and prints a line each.
 * `inject` makes chosen cases misbehave on purpose (`hang`, `crash`, `blowup`), to check the watchdog.
 */
async function worker(
  seed: number,
  from: number,
  to: number,
  inject: ReadonlyMap<number, string>,
): Promise<void> {
  const ctx = await prepareContext();
  const hostile = hostileCorpus(ctx.marker);
  const encoder = new TextEncoder();
  const say = (value: unknown) =>
    Deno.stdout.writeSync(encoder.encode(JSON.stringify(value) + "\n"));
  try {
    for (let index = from; index < to; index++) {
      say({ start: index });
      misbehave(inject.get(index));
      let kind: FileKind,
        bytes: Uint8Array,
        base: string | undefined,
        variant: number,
        origin: string;
      if (index < hostile.length) {
        const h = hostile[index]!;
        [kind, bytes, base, variant, origin] = [h.kind, h.bytes, undefined, h.variant ?? 0, h.name];
      } else {
        const c = mutantCase(ctx, seed, index - hostile.length);
        [kind, bytes, base, variant, origin] = [
          c.kind,
          c.bytes,
          c.base,
          c.variant,
          `${c.base}: ${c.what}`,
        ];
      }
      const r = await runCase(ctx, kind, bytes, base, variant);
      // A hostile file meant to be refused must be refused.
      const expected = index < hostile.length ? hostile[index]!.expect : undefined;
      const wrong = expected === "refuse" && r.status === "ok";
      say(
        {
          index,
          kind,
          origin,
          status: wrong ? "failure" : r.status,
          ...(wrong ? { problem: "accepted" } : r.problem ? { problem: r.problem } : {}),
          ...(r.line ? { line: r.line.slice(0, 300) } : {}),
          ms: Math.round(r.ms),
        } satisfies Line,
      );
    }
  } finally {
    await Deno.remove(ctx.dir, { recursive: true });
  }
}

/** The deliberate failures of `--inject`. */
function misbehave(what: string | undefined): void {
  if (what === "hang") { while (true) { /* spin without output */ } }
  if (what === "crash") throw new Error("injected crash");
  if (what === "blowup") {
    const hoard: Uint8Array[] = [];
    while (true) hoard.push(new Uint8Array(64 * 1024 ** 2).fill(1));
  }
}

/** Resident memory of a process, bytes (Linux), or 0 when unknown. */
async function rss(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

/** Runs `[from, to)` in a worker, restarting it after a hang, a blow-up or a crash. */
async function supervise(
  run: { seed: number; inject: string; limits: Limits },
  from: number,
  to: number,
  results: Line[],
  peak: { rss: number },
) {
  let next = from;
  while (next < to) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...PERMISSIONS,
        new URL(import.meta.url).pathname,
        "--worker",
        "--seed",
        `${run.seed}`,
        `--inject=${run.inject}`,
        "--from",
        `${next}`,
        "--to",
        `${to}`,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    let current = next;
    let lastSeen = performance.now();
    let verdict: "hang" | "blow-up" | undefined;
    const watch = setInterval(async () => {
      const bytes = await rss(child.pid);
      peak.rss = Math.max(peak.rss, bytes);
      if (verdict) return;
      if (bytes > run.limits.blowupBytes) verdict = "blow-up";
      else if (performance.now() - lastSeen > run.limits.hangMs) verdict = "hang";
      if (verdict) child.kill("SIGKILL");
    }, 250);
    const stderr = new Response(child.stderr).text();
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const message = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        lastSeen = performance.now();
        if ("start" in message) current = message.start;
        else {
          results.push(message);
          next = message.index + 1;
        }
      }
    }
    const status = await child.status;
    clearInterval(watch);
    const errors = await stderr;
    if (next >= to && status.success) break;
    // The case that was running did not finish: the process hung, grew or died.
    results.push({
      index: current,
      kind: "onnx",
      origin: `worker ${
        verdict ?? `exit ${status.code}${status.signal ? ` (${status.signal})` : ""}`
      }`,
      status: "failure",
      problem: verdict ?? "crash",
      line: errors.trim().split("\n").slice(-3).join(" | ").slice(0, 300),
      ms: Math.round(performance.now() - lastSeen),
    });
    next = current + 1;
  }
}

async function parent(
  options: {
    cases: number;
    seed: number;
    workers: number;
    out: string;
    inject: string;
    limits: Limits;
    only?: number;
  },
) {
  const started = performance.now();
  const corpus = hostileCorpus("/nonexistent");
  const hostile = corpus.length;
  const total = Math.min(options.only ?? Infinity, hostile + options.cases);
  const results: Line[] = [];
  const peak = { rss: 0 };
  const share = Math.ceil(total / options.workers);
  await Promise.all(
    Array.from(
      { length: options.workers },
      (_, w) => supervise(options, w * share, Math.min(total, (w + 1) * share), results, peak),
    ),
  );
  // The kind of a case the worker could not report.
  for (const r of results) {
    r.kind = r.index < hostile ? corpus[r.index]!.kind : KINDS[(r.index - hostile) % KINDS.length]!;
  }
  results.sort((a, b) => a.index - b.index);
  const count = (f: (r: Line) => boolean) => results.filter(f).length;
  const byKind = Object.fromEntries(
    KINDS.map((kind) => [kind, {
      cases: count((r) => r.kind === kind),
      ok: count((r) => r.kind === kind && r.status === "ok"),
      refused: count((r) => r.kind === kind && r.status === "refused"),
      failures: count((r) => r.kind === kind && r.status === "failure"),
    }]),
  );
  const problems = [
    "crash",
    "hang",
    "blow-up",
    "code",
    "data-loss",
    "partial",
    "unnamed",
    "multi-line",
    "control",
    "accepted",
  ];
  const summary = {
    seed: options.seed,
    hostileFiles: Math.min(hostile, total),
    mutants: Math.max(0, total - hostile),
    cases: results.length,
    ok: count((r) => r.status === "ok"),
    refused: count((r) => r.status === "refused"),
    refusedInOneLineNamingTheFile: count((r) => r.status === "refused"),
    failures: Object.fromEntries(problems.map((p) => [p, count((r) => r.problem === p)])),
    byKind,
    slowestCaseMs: Math.max(...results.map((r) => r.ms)),
    peakWorkerRssMB: Math.round(peak.rss / 1024 ** 2),
    seconds: Math.round((performance.now() - started) / 1000),
    firstFailures: results.filter((r) => r.status === "failure").slice(0, 50),
  };
  await writeFileAtomic(join(options.out, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  console.log(
    `fuzz: ${summary.cases} cases (${Math.min(hostile, total)} hostile files, ${
      Math.max(0, total - hostile)
    } mutants, seed ${options.seed}) in ${summary.seconds} s`,
  );
  console.log(`  ${summary.ok} read, ${summary.refused} refused in one line naming the file`);
  console.log(`  failures: ${problems.map((p) => `${p} ${summary.failures[p]}`).join(", ")}`);
  console.log(
    `  slowest case ${summary.slowestCaseMs} ms, peak worker memory ${summary.peakWorkerRssMB} MB`,
  );
  for (const [kind, k] of Object.entries(byKind)) {
    console.log(
      `  ${kind.padEnd(12)} ${
        String(k.cases).padStart(6)
      } cases: ${k.ok} read, ${k.refused} refused, ${k.failures} failures`,
    );
  }
  for (const f of summary.firstFailures.slice(0, 10)) {
    console.log(`  ! case ${f.index} ${f.kind} ${f.problem}: ${f.origin} -> ${f.line ?? ""}`);
  }
  console.log(`wrote ${join(options.out, "summary.json")}`);
  return Object.values(summary.failures).every((n) => n === 0) ? 0 : 1;
}

const program = new Command()
  .name("deno run -A scripts/fuzz.ts")
  .description("The long seeded fuzz run over the bundled files and the hostile corpus")
  .option("--cases <n>", "mutants after the hostile corpus", "10000")
  .option("--seed <n>", "random seed", "20261201")
  .option("--workers <n>", "worker processes", "2")
  .option("--out <dir>", "folder for summary.json", "out/fuzz")
  .option("--hang-seconds <s>", "a case silent this long is a hang", "30")
  .option("--max-rss-mb <mb>", "a worker this large is a blow-up", "2048")
  .option("--only <n>", "(self-check) run only the first n cases of the list")
  .option(
    "--inject <cases>",
    "(self-check) make cases misbehave, e.g. 3:hang,5:crash,7:blowup",
    "",
  )
  .option("--worker", "(internal) run cases in this process")
  .option("--from <i>", "(internal) first case", "0")
  .option("--to <i>", "(internal) end of the cases", "0");

if (import.meta.main) {
  const o = program.parse(Deno.args, { from: "user" }).opts();
  if (o.worker) {
    const inject = new Map(
      o.inject.split(",").filter((p) => p !== "").map((p) => {
        const [i, what] = p.split(":");
        return [Number(i), what ?? ""] as const;
      }),
    );
    await worker(Number(o.seed), Number(o.from), Number(o.to), inject);
  } else {
    Deno.exit(
      await parent({
        cases: Number(o.cases),
        seed: Number(o.seed),
        workers: Number(o.workers),
        out: o.out,
        inject: o.inject,
        ...(o.only !== undefined ? { only: Number(o.only) } : {}),
        limits: {
          hangMs: 1000 * Number(o.hangSeconds),
          blowupBytes: 1024 ** 2 * Number(o.maxRssMb),
        },
      }),
    );
  }
}
