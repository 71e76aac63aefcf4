import { assertEquals, assertRejects } from "../_assert.ts";
import { readBounds } from "../../lib/sampling/mod.ts";

async function withFile(text: string, run: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/bounds.csv`, text);
    await run(`${dir}/bounds.csv`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readBounds() reads Variable,Min,Max case-insensitively, with or without names", async () => {
  await withFile("name,MIN,max\nx1,0.5,2.5\nx2,-1,1e3\n", async (path) => {
    const b = await readBounds(path);
    assertEquals(b.names, ["x1", "x2"]);
    assertEquals(Array.from(b.min), [0.5, -1]);
    assertEquals(Array.from(b.max), [2.5, 1000]);
  });
  await withFile("Min,Max\n0,1\n2,3\n", async (path) => {
    assertEquals((await readBounds(path)).names, ["x1", "x2"]);
  });
});

Deno.test("readBounds() refuses missing columns, Min >= Max and non-numbers", async () => {
  await withFile("Variable,Min\nx1,0\n", async (path) => {
    await assertRejects(() => readBounds(path), SyntaxError, `${path}: missing column "Max"`);
  });
  await withFile("Variable,Min,Max\nx1,0,1\nx2,3,3\n", async (path) => {
    await assertRejects(
      () => readBounds(path),
      RangeError,
      `${path}: line 3 ("x2") has Min 3 >= Max 3`,
    );
  });
  await withFile("Variable,Min,Max\nx1,zero,1\n", async (path) => {
    await assertRejects(
      () => readBounds(path),
      SyntaxError,
      `${path}: line 2 ("x1"), column Min: "zero" is not a finite number`,
    );
  });
  await assertRejects(
    () => readBounds("/nonexistent/b.csv"),
    Error,
    "/nonexistent/b.csv: no such file",
  );
});
