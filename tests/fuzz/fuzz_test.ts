/**
 * The short seeded mutation fuzz run (the long one is `scripts/fuzz.ts`):
 * bundled ONNX, `.pth`, `.safetensors`, inputs, scaling and equations files
 * with bit flips, truncations, insertions, duplicated chunks and huge size
 * fields, each through the command that reads it.
 */
import { assertEquals, assertLess } from "../_assert.ts";
import { mutantCase } from "./_cases.ts";
import { prepareContext, runCase } from "./_harness.ts";

/** Cases in the test suite's run (the contract asks for at least 500). */
const CASES = 600;
const SEED = 20261201;

Deno.test(`${CASES} seeded mutants of the bundled files: no crash, no unnamed or multi-line error, no code run, no data lost`, async () => {
  const ctx = await prepareContext();
  const failures: string[] = [];
  const statuses: Record<string, number> = {};
  let peak = 0;
  for (let i = 0; i < CASES; i++) {
    const c = mutantCase(ctx, SEED, i);
    const r = await runCase(ctx, c.kind, c.bytes, c.base, c.variant);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === "failure") {
      failures.push(`case ${i} (${c.kind}, ${c.base}; ${c.what}): ${r.problem}: ${r.line}`);
    }
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }
  await Deno.remove(ctx.dir, { recursive: true });
  assertEquals(failures, []);
  assertEquals((statuses["ok"] ?? 0) + (statuses["refused"] ?? 0), CASES);
  assertLess(peak, 2 * 1024 ** 3, "resident memory stays under 2 GB");
});
