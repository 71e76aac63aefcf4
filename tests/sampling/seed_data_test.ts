import { assert, assertEquals } from "../_assert.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import { readBounds } from "../../lib/sampling/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const FILES = ["equations.json", "olhs_samples.csv", "olhs_samples_max_min.csv", "olhs_input.csv"];

Deno.test("scripts/make_seed.ts rewrites the bundled data/seed byte for byte", async () => {
  const out = await Deno.makeTempDir();
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", `${ROOT}scripts/make_seed.ts`, "--out", out],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    for (const name of FILES) {
      const made = await Deno.readFile(`${out}/${name}`);
      const bundled = await Deno.readFile(`${ROOT}data/seed/${name}`);
      assertEquals(made.length, bundled.length, name);
      assert(made.every((b, i) => b === bundled[i]), `${name} differs`);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("data/seed: held-out points lie strictly inside [0.55, 2.45] and the training range", async () => {
  const input = await readNumericCsv(`${ROOT}data/seed/olhs_input.csv`);
  const bounds = await readBounds(`${ROOT}data/seed/olhs_samples_max_min.csv`);
  assertEquals(input.columns, ["x1", "x2", "x3", "x4"]);
  assertEquals(input.rows, 200);
  assertEquals(bounds.names, ["x1", "x2", "x3", "x4", "f1", "f2", "f3", "f4"]);
  for (let r = 0; r < input.rows; r++) {
    for (let j = 0; j < 4; j++) {
      const v = input.data[r * 4 + j]!;
      assert(v > 0.55 && v < 2.45, `row ${r} x${j + 1} = ${v}`);
      assert(v > bounds.min[j]! && v < bounds.max[j]!, `row ${r} x${j + 1} outside training`);
    }
  }
  const samples = await readNumericCsv(`${ROOT}data/seed/olhs_samples.csv`);
  assertEquals(samples.rows, 3000);
  for (let j = 0; j < 4; j++) {
    assert(bounds.min[j]! >= 0.5 && bounds.max[j]! <= 2.5, `x${j + 1} range`);
  }
});
