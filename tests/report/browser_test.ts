/**
 * Every report kind opened in headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core over a pipe, so no network permission): no console errors or
 * failed requests, every figure drawn with a non-zero size and its number of
 * marks, the verdict's cause and the status block's words equal to
 * `metrics.json`'s, nothing wider
 * than a 420 px viewport. Screenshots at 420 and 1400 px go to
 * `out/report-screenshots/`.
 *
 * Without Chromium the test is skipped, except under CI (`CI` set), where
 * `.ci/run` installs it and its absence is a failure.
 *
 * @module
 */
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { writeCheckOutputs } from "../../lib/check/write.ts";
import { writeVerifyIndex } from "../../lib/report/index_page.ts";
import { writeRefitReport } from "../../lib/report/refit_report.ts";
import { checkStatus } from "../../lib/report/status.ts";
import { assert, assertEquals, assertGreater } from "../_assert.ts";
import { refitReportInput, verifiedModel } from "./_fixture.ts";

const SCREENSHOTS = new URL("../../out/report-screenshots/", import.meta.url).pathname;
const WIDTHS = [420, 1400] as const;

function findChromium(): string | undefined {
  const candidates = [
    Deno.env.get("PARTIALS_CHROMIUM"),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ];
  for (const c of candidates) {
    if (c === undefined) continue;
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

const CHROMIUM = findChromium();
const IN_CI = Deno.env.get("CI") !== undefined;

/** What a page showed, measured in the browser. */
interface PageFacts {
  figures: {
    label: string;
    width: number;
    height: number;
    marks: Record<string, number>;
  }[];
  status: { question: string; outcome: string; text: string; color: string }[];
  cause: string | null;
  tooWide: string[];
  scrollWidth: number;
  viewport: number;
}

/** Measures the open page (runs in the browser; no DOM types here). */
function measure(): PageFacts {
  // deno-lint-ignore no-explicit-any
  const d = (globalThis as any).document;
  // deno-lint-ignore no-explicit-any
  const w = (globalThis as any).window;
  // deno-lint-ignore no-explicit-any
  const figures = [...d.querySelectorAll("figure svg")].map((svg: any) => {
    const box = svg.getBoundingClientRect();
    const marks: Record<string, number> = {};
    for (const g of svg.querySelectorAll("g[aria-description]")) {
      const k = g.getAttribute("aria-description");
      marks[k] = (marks[k] ?? 0) + g.children.length;
    }
    return {
      label: svg.getAttribute("aria-label") ?? "",
      width: box.width,
      height: box.height,
      marks,
    };
  });
  // deno-lint-ignore no-explicit-any
  const status = [...d.querySelectorAll("#status li")].map((li: any) => ({
    question: li.getAttribute("data-question"),
    outcome: li.querySelector(".mark").textContent.replace(/[✓✗–]/, "").trim(),
    text: li.textContent,
    color: w.getComputedStyle(li.querySelector(".mark")).color,
  }));
  const viewport = w.innerWidth;
  const tooWide: string[] = [];
  for (const el of d.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > viewport + 0.5 || r.left < -0.5)) {
      tooWide.push(
        `<${el.tagName.toLowerCase()} class="${el.getAttribute("class") ?? ""}"> ${
          (el.textContent ?? "").slice(0, 40)
        } (${Math.round(r.left)}..${Math.round(r.right)})`,
      );
    }
  }
  return {
    figures,
    status,
    cause: d.querySelector("#status .verdict")?.getAttribute("data-cause") ?? null,
    tooWide,
    scrollWidth: d.documentElement.scrollWidth,
    viewport,
  };
}

interface Loaded {
  facts: Record<number, PageFacts>;
  problems: string[];
}

async function load(browser: Browser, file: string, shot: string): Promise<Loaded> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warn") {
      problems.push(`console ${m.type()}: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e}`));
  page.on("requestfailed", (r) => problems.push(`failed request: ${r.url()}`));
  page.on("request", (r) => {
    if (r.url() !== `file://${file}`) problems.push(`request: ${r.url()}`);
  });
  const facts: Record<number, PageFacts> = {};
  try {
    for (const width of WIDTHS) {
      await page.setViewport({ width, height: 900 });
      await page.goto(`file://${file}`, { waitUntil: "load", timeout: 120_000 });
      facts[width] = await page.evaluate(measure);
      await page.screenshot({ path: join(SCREENSHOTS, `${shot}-${width}.png`), fullPage: true });
    }
  } finally {
    await page.close();
  }
  return { facts, problems };
}

/** Checks shared by every report: no problems, figures drawn, nothing wider than the viewport. */
function assertRendered(kind: string, loaded: Loaded, figures: number): PageFacts {
  assertEquals(loaded.problems, [], `${kind}: console errors or requests`);
  for (const width of WIDTHS) {
    const f = loaded.facts[width]!;
    assertEquals(f.figures.length, figures, `${kind} at ${width} px: figures`);
    for (const fig of f.figures) {
      assertGreater(fig.width, 100, `${kind} at ${width} px: ${fig.label}`);
      assertGreater(fig.height, 100, `${kind} at ${width} px: ${fig.label}`);
    }
  }
  for (const width of WIDTHS) {
    const f = loaded.facts[width]!;
    assertEquals(f.viewport, width);
    assertEquals(f.tooWide, [], `${kind}: elements wider than ${width} px`);
    assertEquals(f.scrollWidth, width, `${kind}: horizontal scrolling at ${width} px`);
  }
  return loaded.facts[1400]!;
}

/** Scatter figures (by their text alternative) and the points each draws. */
function scatterPoints(f: PageFacts): number[] {
  return f.figures.filter((g) => g.label.startsWith("Scatter of")).map((g) =>
    (g.marks["point"] ?? 0) + (g.marks["point beyond the limits"] ?? 0)
  );
}

function heatmapCells(f: PageFacts): number[] {
  return f.figures.filter((g) => g.label.startsWith("Heatmap")).map((g) => g.marks["cell"] ?? 0);
}

/** The status lines in the page equal `metrics.json`'s: question, outcome word, sentence. */
function assertStatusMatches(
  f: PageFacts,
  metrics: { status: { lines: StatusJson[] }; verdict: { cause: string } },
) {
  assertEquals(f.cause, metrics.verdict.cause);
  assertEquals(f.status.length, metrics.status.lines.length);
  // The colour agrees with the word: green for pass, red for fail.
  const colors: Record<string, string> = { pass: "rgb(27, 122, 58)", fail: "rgb(176, 0, 32)" };
  for (const s of f.status) assertEquals(s.color, colors[s.outcome], `${s.question} colour`);
  metrics.status.lines.forEach((l, i) => {
    const shown = f.status[i]!;
    assertEquals([shown.question, shown.outcome], [l.question, l.outcome]);
    assert(shown.text.includes(l.text), `status line ${i}: "${shown.text}" lacks "${l.text}"`);
  });
}

interface StatusJson {
  question: string;
  outcome: string;
  text: string;
}

Deno.test({
  name:
    "Every report kind renders in headless Chromium without errors, with every figure and nothing wider than the viewport (420 and 1400 px)",
  ignore: CHROMIUM === undefined && !IN_CI,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    assert(
      CHROMIUM !== undefined,
      "Chromium not found: .ci/run installs Debian's chromium with apt-get",
    );
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    const dir = await Deno.makeTempDir({ prefix: "partials-report-" });
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      pipe: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
    try {
      const fastkan = await verifiedModel("fastkan");
      const mlp = await verifiedModel("mlp");

      await t.step("check report (no PyTorch values)", async () => {
        await writeCheckOutputs(fastkan.check, join(dir, "check"));
        const metrics = JSON.parse(await Deno.readTextFile(join(dir, "check/metrics.json")));
        // 3 heatmaps (fit; autodiff and the derivative graph vs finite differences),
        // 16 entry scatters, 5 error panels, 4 value scatters, 3 histograms.
        const f = assertRendered(
          "check",
          await load(browser, join(dir, "check/report.html"), "check"),
          31,
        );
        assertEquals(heatmapCells(f), [16, 16, 16]);
        assertEquals(scatterPoints(f), new Array(20).fill(200));
        assertStatusMatches(f, metrics);
      });

      await t.step("verify per-model reports and index", async () => {
        for (const v of [fastkan, mlp]) {
          await writeCheckOutputs(v.check, join(dir, "verify", v.name), {
            parity: v.parity,
            sweep: v.sweep,
          });
        }
        await writeVerifyIndex(
          join(dir, "verify"),
          [fastkan, mlp].map((v) => ({
            name: v.name,
            href: `${v.name}/report.html`,
            check: v.check,
            status: checkStatus(v.check, { parity: v.parity }),
            parity: v.parity,
          })),
        );
        const metrics = JSON.parse(
          await Deno.readTextFile(join(dir, "verify/fastkan/metrics.json")),
        );
        // The check's figures plus the step sweep.
        const f = assertRendered(
          "verify fastkan",
          await load(browser, join(dir, "verify/fastkan/report.html"), "verify-fastkan"),
          32,
        );
        assertEquals(heatmapCells(f), [16, 16, 16]);
        assertEquals(scatterPoints(f), new Array(20).fill(200));
        const sweep = f.figures.find((g) => g.label.startsWith("Finite-difference step sweep"));
        assertEquals(sweep?.marks["point"], fastkan.sweep.length);
        assertStatusMatches(f, metrics);
        // The MLP has no LayerNorm: no gain panel and no histogram.
        assertRendered(
          "verify mlp",
          await load(browser, join(dir, "verify/mlp/report.html"), "verify-mlp"),
          28,
        );
        const index = await load(browser, join(dir, "verify/index.html"), "verify-index");
        assertRendered("verify index", index, 0);
      });

      await t.step("refit report", async () => {
        await writeRefitReport(join(dir, "refit"), await refitReportInput());
        const f = assertRendered(
          "refit",
          await load(browser, join(dir, "refit/report.html"), "refit"),
          23,
        );
        assertEquals(heatmapCells(f), [16, 16]);
        // Before and after at the 200 held-out points.
        assertEquals(scatterPoints(f), new Array(20).fill(400));
        assertEquals(f.status.map((s) => s.question), ["value-fit", "derivative-fit"]);
      });
    } finally {
      await browser.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
