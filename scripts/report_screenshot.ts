/**
 * The README's screenshot of a `verify` report: the top of
 * `out/verify/fastkan/report.html` (status block, heatmaps, the first row of
 * per-entry scatters) at 1000 px, taken with Debian's headless Chromium.
 *
 * Usage (after `deno task verify`):
 *   deno run -A scripts/report_screenshot.ts [--report out/verify/fastkan/report.html] [--out data/screenshots/verify_report.png]
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { resolve } from "node:path";
import { Command } from "@commander-js/extra-typings";
import puppeteer from "puppeteer-core";

const root = new URL("../", import.meta.url).pathname;
const program = new Command()
  .name("report_screenshot")
  .option("--report <file>", "report to photograph", `${root}out/verify/fastkan/report.html`)
  .option("--out <file>", "PNG to write", `${root}data/screenshots/verify_report.png`)
  .option("--chromium <file>", "browser", "/usr/bin/chromium")
  .parse(Deno.args, { from: "user" });
const o = program.opts();

const browser = await puppeteer.launch({
  executablePath: o.chromium,
  headless: true,
  pipe: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 1200 });
  await page.goto(`file://${resolve(o.report)}`, { waitUntil: "load" });
  // Down to the bottom of the first row of entry scatters.
  const bottom = await page.evaluate(() => {
    // deno-lint-ignore no-explicit-any
    const d = (globalThis as any).document;
    const figures = d.querySelectorAll("#entries figure");
    const first = figures[0]?.getBoundingClientRect();
    let end = first ? first.bottom : 1200;
    for (const f of figures) {
      const r = f.getBoundingClientRect();
      if (first && Math.abs(r.top - first.top) < 2) end = Math.max(end, r.bottom);
    }
    return Math.ceil(end + 12 + (globalThis as unknown as { scrollY: number }).scrollY);
  });
  await Deno.mkdir(resolve(o.out, ".."), { recursive: true });
  await page.screenshot({
    path: o.out as `${string}.png`,
    clip: { x: 0, y: 0, width: 1000, height: bottom },
  });
  console.log(`wrote ${o.out} (1000 × ${bottom} px)`);
} finally {
  await browser.close();
}
