/**
 * The hand-written hostile corpus, through the commands that read each file:
 * every file is refused with one line that names it (or read, when it is
 * merely unusual), no payload runs, and no input or earlier output changes.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { hostileCorpus } from "./_hostile.ts";
import { prepareContext, runCase } from "./_harness.ts";

Deno.test("hostile files are refused in one line naming the file, run no code and lose no data", async (t) => {
  const ctx = await prepareContext();
  const corpus = hostileCorpus(ctx.marker);
  assert(corpus.length >= 90, `${corpus.length} hostile files`);
  for (const file of corpus) {
    await t.step(`${file.kind}: ${file.name}`, async () => {
      const r = await runCase(ctx, file.kind, file.bytes, undefined, file.variant ?? 0);
      assertEquals(r.problem, undefined, r.line);
      assertEquals(r.status, file.expect === "refuse" ? "refused" : "ok", r.line);
      if (file.says !== undefined) assertStringIncludes(r.line!, file.says);
    });
  }
  await Deno.remove(ctx.dir, { recursive: true });
});
