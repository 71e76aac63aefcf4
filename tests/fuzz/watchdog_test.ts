/**
 * The long fuzz run's watchdog (scripts/fuzz.ts) does see what it counts:
 * cases made to crash, hang and grow on purpose are reported as a crash, a
 * hang and a blow-up, and the run goes on with the next case.
 */
import { assertEquals } from "../_assert.ts";

Deno.test("scripts/fuzz.ts reports an injected crash, hang and memory blow-up, and carries on", async () => {
  const out = await Deno.makeTempDir();
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../../scripts/fuzz.ts", import.meta.url).pathname,
      "--only",
      "6",
      "--workers",
      "1",
      "--inject",
      "0:crash,1:hang,2:blowup",
      "--hang-seconds",
      // well above a case's time on a loaded 2-core machine (2 s counted slow cases as hangs)
      "10",
      "--max-rss-mb",
      "800",
      "--out",
      out,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assertEquals(run.code, 1, new TextDecoder().decode(run.stderr));
  const summary = JSON.parse(await Deno.readTextFile(`${out}/summary.json`));
  assertEquals(summary.cases, 6);
  assertEquals(
    [summary.failures.crash, summary.failures.hang, summary.failures["blow-up"]],
    [1, 1, 1],
  );
  assertEquals(summary.refused, 3, "the three cases after them still ran");
  assertEquals(summary.firstFailures.map((f: { index: number }) => f.index), [0, 1, 2]);
  await Deno.remove(out, { recursive: true });
});
