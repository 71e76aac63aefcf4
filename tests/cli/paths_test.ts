/**
 * Paths as a user types them: `deno task` runs in the project's folder, yet
 * relative paths name files in the folder the user ran the command from.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { readNumericCsv } from "../../lib/io/table.ts";

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;
const MODEL = new URL("../testdata/onnx/fastkan_b1.onnx", import.meta.url).pathname;

async function task(cwd: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "--config", CONFIG, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    // As from a user's shell: `npx` and `deno task` set INIT_CWD only when it is not set yet.
    clearEnv: true,
    env: { ...withoutInitCwd(Deno.env.toObject()), NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

function withoutInitCwd(env: Record<string, string>): Record<string, string> {
  const { INIT_CWD: _, ...rest } = env;
  return rest;
}

async function userFolder(): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const sub of ["a", "b"]) {
    await Deno.mkdir(`${dir}/${sub}`);
    await Deno.copyFile(MODEL, `${dir}/${sub}/model.onnx`);
  }
  await Deno.writeTextFile(`${dir}/in.csv`, "x1,x2,x3\n0.1,0.2,0.3\n0.5,0.4,0.9\n0.8,0.1,0.6\n");
  await Deno.writeTextFile(
    `${dir}/ref.json`,
    JSON.stringify({ inputs: ["x1", "x2", "x3"], outputs: { f1: "x1 + x2", f2: "x3^2" } }),
  );
  return dir;
}

Deno.test("deno task partials resolves relative paths against the user's folder", async () => {
  const dir = await userFolder();
  try {
    const forward = (inputs: string, out: string) =>
      task(dir, "partials", "forward", "--model", "a/model.onnx", "--inputs", inputs, "--out", out);
    const r = await forward("in.csv", "y.csv");
    assertEquals(r.code, 0, r.stderr);
    const y = await readNumericCsv(`${dir}/y.csv`);
    assertEquals(y.rows, 3);
    const missing = await forward("nope.csv", "y2.csv");
    assertEquals(missing.code, 1);
    assertStringIncludes(
      missing.stderr,
      `nope.csv: no such file (looked for ${await Deno.realPath(dir)}/nope.csv)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task verify gives two models both named model.onnx their own output folders", async () => {
  const dir = await userFolder();
  try {
    const r = await task(
      dir,
      "verify",
      "--model",
      "a/model.onnx",
      "--model",
      "b/model.onnx",
      "--inputs",
      "in.csv",
      "--reference",
      "ref.json",
      "--out",
      "out",
    );
    assertEquals(r.code, 0, r.stderr + r.stdout);
    for (const sub of ["a", "b"]) {
      const metrics = JSON.parse(await Deno.readTextFile(`${dir}/out/${sub}/metrics.json`));
      assert(String(metrics.model).endsWith(`${sub}/model.onnx`), metrics.model);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
