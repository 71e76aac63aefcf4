/**
 * The fuzz harness: runs one file (hostile or mutated) through the command
 * that reads it, in-process, and judges the run against the contracts:
 *
 * - exit code 0, 1, 2 or 3; a failure prints exactly one line `error: …` that
 *   names a file of the run, has no control characters and no stack trace;
 * - no code ran (the marker file a payload would create does not exist);
 * - no data lost: the run's inputs and an earlier output are byte-identical
 *   afterwards (unless the run succeeded and replaced that output), and no
 *   temporary or partial file is left.
 *
 * Equations are loaded and evaluated through the library (the `check` command
 * around them costs a second per run); every other kind goes through the CLI's
 * `main()`.
 *
 * @module
 */
// The CLI prints with console.log/error; the harness swaps them to capture its lines.
// deno-lint-ignore-file no-console
import { join } from "node:path";
import { main } from "../../lib/cli/main.ts";
import { loadReference } from "../../lib/reference/load.ts";
import type { FileKind } from "./_hostile.ts";

const DATA = new URL("../../data/", import.meta.url).pathname;

/** The bundled files each kind is mutated from, and the models whose weights they are. */
export const BASES: Readonly<Record<FileKind, readonly string[]>> = {
  onnx: ["models/fastkan/model.onnx", "models/effkan/model.onnx", "models/mlp/model.onnx"],
  pth: ["models/fastkan/model.pth", "models/effkan/model.pth", "models/mlp/model.pth"],
  safetensors: ["models/fastkan/model.safetensors", "models/mlp/model.safetensors"],
  inputs: ["seed/olhs_input.csv"],
  scaling: ["seed/olhs_samples_max_min.csv", "scaling.json"],
  equations: ["seed/equations.json"],
};

/** File extension per kind. */
export const EXTENSION: Readonly<Record<FileKind, string>> = {
  onnx: "onnx",
  pth: "pth",
  safetensors: "safetensors",
  inputs: "csv",
  scaling: "csv",
  equations: "json",
};

/** A prepared folder: copies of the bundled inputs, an earlier output, and the marker path. */
export interface FuzzContext {
  readonly dir: string;
  readonly marker: string;
  /** The earlier output every run writes over (and must keep when it fails). */
  readonly earlier: string;
  readonly earlierBytes: Uint8Array;
  /** Inputs CSV with 8 seed points. */
  readonly inputs: string;
  readonly scaling: string;
  /** `fastkan`, `effkan`, `mlp` → their ONNX and exported weights (copies). */
  readonly models: Readonly<Record<string, { onnx: string; pth: string }>>;
  /** Bytes of the base files, by path relative to `data/` (plus `scaling.json`). */
  readonly bases: ReadonlyMap<string, Uint8Array>;
  /** Protected copies and their bytes, checked after every run. */
  readonly protectedFiles: ReadonlyMap<string, Uint8Array>;
}

/** Makes a fresh fuzz folder. */
export async function prepareContext(): Promise<FuzzContext> {
  const dir = await Deno.makeTempDir({ prefix: "partials-fuzz-" });
  await Deno.mkdir(join(dir, "cases"));
  await Deno.mkdir(join(dir, "out"));
  const protectedFiles = new Map<string, Uint8Array>();
  const copy = async (from: string, to: string) => {
    const bytes = await Deno.readFile(from);
    await Deno.writeFile(to, bytes);
    protectedFiles.set(to, bytes);
    return to;
  };
  const models: Record<string, { onnx: string; pth: string }> = {};
  for (const name of ["fastkan", "effkan", "mlp"]) {
    await Deno.mkdir(join(dir, name));
    models[name] = {
      onnx: await copy(`${DATA}models/${name}/model.onnx`, join(dir, name, "model.onnx")),
      pth: await copy(`${DATA}models/${name}/model.pth`, join(dir, name, "model.pth")),
    };
  }
  const seedInputs = await Deno.readTextFile(`${DATA}seed/olhs_input.csv`);
  const inputs = join(dir, "inputs.csv");
  const small = seedInputs.split("\n").slice(0, 9).join("\n") + "\n";
  await Deno.writeTextFile(inputs, small);
  protectedFiles.set(inputs, new TextEncoder().encode(small));
  const scaling = await copy(`${DATA}seed/olhs_samples_max_min.csv`, join(dir, "scaling.csv"));
  const bases = new Map<string, Uint8Array>();
  for (const list of Object.values(BASES)) {
    for (const path of list) {
      if (path === "scaling.json") continue;
      bases.set(
        path,
        path === "seed/olhs_input.csv"
          ? new TextEncoder().encode(small)
          : await Deno.readFile(`${DATA}${path}`),
      );
    }
  }
  bases.set(
    "scaling.json",
    new TextEncoder().encode(jsonScaling(await Deno.readTextFile(scaling))),
  );
  const earlier = join(dir, "out", "earlier.csv");
  const earlierBytes = new TextEncoder().encode("x1\n0.125\n");
  await Deno.writeFile(earlier, earlierBytes);
  return {
    dir,
    marker: join(dir, "PWNED"),
    earlier,
    earlierBytes,
    inputs,
    scaling,
    models,
    bases,
    protectedFiles,
  };
}

/** The seed scaling in the JSON form, with a z-score input, to mutate that form too. */
function jsonScaling(csv: string): string {
  const rows = csv.trim().split("\n").slice(1).map((l) => l.split(","));
  const entry = ([name, min, max]: string[], k: number) =>
    k === 0
      ? {
        name,
        kind: "zscore",
        mean: (Number(min) + Number(max)) / 2,
        std: (Number(max) - Number(min)) / 4,
      }
      : { name, kind: "minmax", min: Number(min), max: Number(max) };
  return JSON.stringify(
    { inputs: rows.slice(0, 4).map(entry), outputs: rows.slice(4).map(entry) },
    null,
    1,
  );
}

/** How one run went. */
export interface CaseResult {
  /** `ok`: it ran; `refused`: one clean error line; `failure`: a contract was broken. */
  readonly status: "ok" | "refused" | "failure";
  /** For a failure: which contract. */
  readonly problem?:
    | "crash"
    | "unnamed"
    | "multi-line"
    | "control"
    | "code"
    | "data-loss"
    | "partial";
  /** The error line, if any. */
  readonly line?: string;
  readonly ms: number;
}

/** Which model a weights base belongs to. */
function modelOf(base: string | undefined): string {
  return base?.match(/models\/(\w+)\//)?.[1] ?? "mlp";
}

/**
 * Runs `bytes` as a file of `kind` through its command and judges the run.
 *
 * @param base The base file a mutant came from (chooses the model for weights).
 * @param variant A number choosing between equivalent commands (engine, forward or jacobian).
 */
export async function runCase(
  ctx: FuzzContext,
  kind: FileKind,
  bytes: Uint8Array,
  base: string | undefined,
  variant: number,
): Promise<CaseResult> {
  const path = join(ctx.dir, "cases", `case.${EXTENSION[kind]}`);
  await Deno.writeFile(path, bytes);
  const started = performance.now();
  const lines: string[] = [];
  let code = 0;
  let crashed = false;
  const involved = [path];
  if (kind === "equations") {
    try {
      const reference = await loadReference(path);
      const x = new Float64Array(4 * reference.inputs.length).map((_, i) => 0.6 + 0.1 * (i % 7));
      reference.evaluate(x, 4);
    } catch (error) {
      code = 1;
      if (!(error instanceof Error)) crashed = true;
      lines.push(`error: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else {
    const model = ctx.models[modelOf(base)]!;
    const mlp = ctx.models["mlp"]!;
    const out = ["--out", ctx.earlier];
    const args = kind === "onnx"
      ? [
        "forward",
        "--model",
        path,
        "--inputs",
        ctx.inputs,
        ...(variant % 2 ? ["--engine", "tf"] : []),
        ...out,
      ]
      : kind === "pth" || kind === "safetensors"
      ? [
        "forward",
        "--model",
        model.onnx,
        "--weights",
        path,
        "--exported-weights",
        model.pth,
        "--inputs",
        ctx.inputs,
        "--scaling",
        ctx.scaling,
        ...out,
      ]
      : kind === "inputs"
      ? ["forward", "--model", mlp.onnx, "--inputs", path, "--scaling", ctx.scaling, ...out]
      : [
        variant % 2 ? "jacobian" : "forward",
        "--model",
        mlp.onnx,
        "--inputs",
        ctx.inputs,
        "--scaling",
        path,
        ...out,
      ];
    involved.push(...args.filter((a) => a.startsWith(ctx.dir)));
    const { log, error } = console;
    console.log = (...a: unknown[]) => void a;
    console.error = (...a: unknown[]) => lines.push(a.map(String).join(" "));
    try {
      code = await main(args);
    } catch (e) {
      crashed = true;
      lines.push(`uncaught: ${e instanceof Error ? e.stack : String(e)}`);
    } finally {
      console.log = log;
      console.error = error;
    }
  }
  const ms = performance.now() - started;
  const errors = lines.filter((l) => l.startsWith("error") || l.startsWith("uncaught"));
  const line = errors[0];
  const fail = (problem: NonNullable<CaseResult["problem"]>): CaseResult => ({
    status: "failure",
    problem,
    ...(line !== undefined ? { line } : {}),
    ms,
  });
  if (await exists(ctx.marker)) return fail("code");
  for (const [file, want] of ctx.protectedFiles) {
    if (!equalBytes(await Deno.readFile(file).catch(() => new Uint8Array()), want)) {
      return fail("data-loss");
    }
  }
  const outNames = [...Deno.readDirSync(join(ctx.dir, "out"))].map((e) => e.name);
  if (outNames.some((n) => n !== "earlier.csv")) return fail("partial");
  if (code !== 0) {
    const kept = await Deno.readFile(ctx.earlier).catch(() => new Uint8Array());
    if (!equalBytes(kept, ctx.earlierBytes)) return fail("data-loss");
  } else {
    await Deno.writeFile(ctx.earlier, ctx.earlierBytes);
  }
  if (crashed || ![0, 1, 2, 3].includes(code)) return fail("crash");
  if (code === 0) return { status: "ok", ms };
  if (errors.length !== 1 || /\n\s+at /.test(line ?? "")) return fail("multi-line");
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(line!)) return fail("control");
  if (!involved.some((p) => line!.includes(p))) return fail("unnamed");
  return { status: "refused", line: line!, ms };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
