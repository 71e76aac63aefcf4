/**
 * Refuse before work: every command resolves its paths first and refuses an
 * `--out` that is, holds or lies inside one of its inputs, before reading any
 * model; `--out -` is standard output; interrupted writes leave nothing behind.
 */
import { pendingTempFiles, writeFilesAtomic } from "../../lib/io/atomic.ts";
import { assertEquals, assertRejects, assertStringIncludes } from "../_assert.ts";
import { bundledPaths, SEED } from "../_bundled.ts";
import {
  assertOneLineError,
  partials,
  partialsCommand,
  partialsCsvIn,
  seedPoints,
} from "./_partials.ts";

/** A folder with copies of the seed files and a model file that is not ONNX at all. */
async function workspace() {
  const dir = await Deno.makeTempDir();
  const files = {
    // Not a model: a command that read it before checking --out would fail differently.
    model: `${dir}/model.onnx`,
    weights: `${dir}/model.pth`,
    inputs: `${dir}/olhs_input.csv`,
    scaling: `${dir}/scaling.csv`,
    reference: `${dir}/equations.json`,
    samples: `${dir}/samples.csv`,
  };
  await Deno.writeTextFile(files.model, "not an onnx model");
  await Deno.copyFile(bundledPaths("mlp").pth, files.weights);
  await Deno.copyFile(SEED.inputs, files.inputs);
  await Deno.copyFile(SEED.scaling, files.scaling);
  await Deno.copyFile(SEED.equations, files.reference);
  await Deno.copyFile(SEED.samples, files.samples);
  const snapshot = async () => {
    const bytes: Record<string, Uint8Array> = {};
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isFile) bytes[entry.name] = await Deno.readFile(`${dir}/${entry.name}`);
    }
    return bytes;
  };
  return { dir, files, snapshot };
}

Deno.test("every command refuses an --out that is one of its inputs, before reading the model", async (t) => {
  const { dir, files: f, snapshot } = await workspace();
  const before = await snapshot();
  const model = ["--model", f.model];
  /** `<command> --model M --inputs X <rest>`. */
  const onPoints = (command: string, ...rest: string[]) => [
    command,
    ...model,
    "--inputs",
    f.inputs,
    ...rest,
  ];
  const check = (...rest: string[]) => onPoints("check", "--reference", f.reference, ...rest);
  const refit = (...rest: string[]) => [
    "refit",
    ...model,
    "--scaling",
    f.scaling,
    "--reference",
    f.reference,
    "--samples",
    f.samples,
    "--epochs",
    "1",
    ...rest,
  ];
  const cases: [string, string[], string][] = [
    ["forward --out = --inputs", onPoints("forward", "--out", f.inputs), "it is the --inputs file"],
    ["forward --out = --model", onPoints("forward", "--out", f.model), "it is the --model file"],
    [
      "forward --out = --scaling",
      onPoints("forward", "--scaling", f.scaling, "--out", f.scaling),
      "it is the --scaling file",
    ],
    [
      "forward --out = --weights",
      onPoints("forward", "--weights", f.weights, "--out", f.weights),
      "it is the --weights file",
    ],
    [
      "forward --out = the weights the model was exported with",
      onPoints("forward", "--out", f.weights),
      "it is the model's exported weights file",
    ],
    [
      "jacobian --out = --scaling",
      onPoints("jacobian", "--scaling", f.scaling, "--out", f.scaling),
      "it is the --scaling file",
    ],
    [
      "jacobian --out = --inputs",
      onPoints("jacobian", "--out", f.inputs),
      "it is the --inputs file",
    ],
    [
      "check --out = the folder holding --inputs",
      check("--out", dir),
      "the folder holds the --model file",
    ],
    ["check --out = --reference", check("--out", f.reference), "it is the --reference file"],
    [
      "sample --out = --bounds",
      ["sample", "--bounds", f.scaling, "--n", "5", "--out", f.scaling],
      "it is the --bounds file",
    ],
    ["refit --out = the model's folder", refit("--out", dir), "the folder holds the --model file"],
    ["refit --out = --samples", refit("--out", f.samples), "it is the --samples file"],
    [
      "--out inside an input file",
      onPoints("forward", "--out", `${f.inputs}/y.csv`),
      "it lies inside the --inputs file",
    ],
  ];
  for (const [name, args, message] of cases) {
    await t.step(name, async () => assertOneLineError(await partials(...args), 2, message));
  }
  assertEquals(await snapshot(), before, "no input changed and no file was added");
});

Deno.test("--out through a symlink or a hard link to an input is refused", async () => {
  const { dir, files: f } = await workspace();
  await Deno.symlink(f.inputs, `${dir}/link.csv`);
  await Deno.link(f.inputs, `${dir}/hard.csv`);
  for (const out of [`${dir}/link.csv`, `${dir}/hard.csv`]) {
    const r = await partials("forward", "--model", f.model, "--inputs", f.inputs, "--out", out);
    assertOneLineError(r, 2, "it is the --inputs file");
  }
  assertEquals(await Deno.readTextFile(f.inputs), await Deno.readTextFile(SEED.inputs));
});

Deno.test("--out - writes CSV results to standard output and is refused for folders", async (t) => {
  const dir = await Deno.makeTempDir();
  const mlp = bundledPaths("mlp").onnx;
  await Deno.writeTextFile(`${dir}/b.csv`, "Variable,Min,Max\nx1,0,1\nx2,0,2\n");
  const runs: [string, string[], string[]][] = [
    ["forward", ["forward", ...seedPoints(mlp)], ["x1", "f1"]],
    ["jacobian", ["jacobian", ...seedPoints(mlp)], ["df1_dx1"]],
    ["sample", ["sample", "--bounds", `${dir}/b.csv`, "--n", "7"], ["x1", "x2"]],
  ];
  for (const [name, args, columns] of runs) {
    await t.step(name, async () => {
      const { table, run } = await partialsCsvIn(
        { cwd: dir, env: { INIT_CWD: dir } },
        "-",
        0,
        ...args,
      );
      for (const c of columns) assertEquals(table.columns.includes(c), true, c);
      assertStringIncludes(run.stderr, "to standard output");
    });
  }
  assertEquals(await Deno.stat(`${dir}/-`).then(() => true, () => false), false, "no file named -");
  const check = await partials(
    "check",
    "--model",
    mlp,
    "--inputs",
    SEED.inputs,
    "--reference",
    SEED.equations,
    "--out",
    "-",
  );
  assertOneLineError(check, 2, "standard output takes a CSV result");
  const onnx = await partials(
    "export-jacobian",
    "--model",
    mlp,
    "--out",
    "-",
  );
  assertOneLineError(onnx, 2, "standard output takes a CSV result, this command writes a file");
  const device = await partials(
    "forward",
    "--model",
    mlp,
    "--inputs",
    SEED.inputs,
    "--out",
    "/dev/stdout",
  );
  assertOneLineError(device, 2, "use --out - for standard output");
});

Deno.test("inputs that are not regular files are refused without reading them", async () => {
  for (const device of ["/dev/zero", "/dev/urandom"]) {
    assertOneLineError(await partials("inspect", device), 1, `${device}: not a regular file`);
  }
  const dir = await Deno.makeTempDir();
  await Deno.symlink("/dev/zero", `${dir}/zero.csv`);
  const r = await partials(
    "forward",
    "--model",
    bundledPaths("mlp").onnx,
    "--inputs",
    `${dir}/zero.csv`,
    "--out",
    `${dir}/y.csv`,
  );
  assertOneLineError(r, 1, "zero.csv: not a regular file");
  assertOneLineError(await partials("inspect", dir), 1, "it is a folder");
});

Deno.test("writeFilesAtomic() writes all files or none, and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/a.txt`, "old");
  await Deno.writeTextFile(`${dir}/blocker`, "a file where a folder is needed");
  await assertRejects(() =>
    writeFilesAtomic([[`${dir}/a.txt`, "new"], [`${dir}/blocker/b.txt`, "b"]])
  );
  assertEquals(await Deno.readTextFile(`${dir}/a.txt`), "old");
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a.txt", "blocker"]);
  assertEquals(pendingTempFiles(), []);
});

Deno.test("an interrupted refit exits 130 and leaves its complete best-so-far files, no partial one", async () => {
  const dir = await Deno.makeTempDir();
  const mlp = bundledPaths("mlp");
  const child = partialsCommand(
    {},
    "refit",
    "--model",
    mlp.onnx,
    "--scaling",
    SEED.scaling,
    "--reference",
    SEED.equations,
    "--samples",
    SEED.samples,
    "--epochs",
    "100000",
    "--budget",
    "10m",
    "--out",
    `${dir}/out`,
  ).spawn();
  await child.stdout.cancel();
  // Wait for the first epoch, then interrupt.
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!/^adam /m.test(seen)) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  child.kill("SIGINT");
  while (!(await reader.read()).done) { /* drain */ }
  const status = await child.status;
  assertEquals(status.code, 130, seen);
  // The best weights so far, each file whole: exactly the three files, no temporary file.
  assertEquals([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort(), [
    "model.onnx",
    "model.safetensors",
    "summary.json",
  ]);
  assertEquals(
    JSON.parse(await Deno.readTextFile(`${dir}/out/summary.json`)).status,
    "interrupted",
  );
});

Deno.test("a signal during an atomic write removes the temporary file and ends the process", async () => {
  const dir = await Deno.makeTempDir();
  const atomic = new URL("../../lib/io/atomic.ts", import.meta.url).href;
  // A child that starts a large write, waits until its temporary file exists, then gets SIGTERM.
  const code = `
    import { pendingTempFiles, writeFilesAtomic } from "${atomic}";
    const write = writeFilesAtomic([["${dir}/big.bin", new Uint8Array(256 * 1024 * 1024)]]);
    while (!pendingTempFiles().some((p) => { try { return Deno.statSync(p).isFile; } catch { return false; } })) {
      await new Promise((r) => setTimeout(r, 0));
    }
    Deno.kill(Deno.pid, "SIGTERM");
    await write;
    console.log("the write finished");
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.signal, "SIGTERM", new TextDecoder().decode(out.stderr));
  assertEquals(new TextDecoder().decode(out.stdout), "");
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [], "no target, no temp file");
});
