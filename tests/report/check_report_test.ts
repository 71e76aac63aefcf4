import { parseHTML } from "linkedom";
import { checkMetrics, writeCheckOutputs } from "../../lib/check/write.ts";
import { renderCheckReport } from "../../lib/report/check_report.ts";
import { formatNumber } from "../../lib/report/figures.ts";
import { renderVerifyIndex } from "../../lib/report/index_page.ts";
import { checkStatus } from "../../lib/report/status.ts";
import { readFaultCases, runFaultCase } from "../../scripts/fault_matrix.ts";
import {
  assert,
  assertEquals,
  assertGreater,
  assertLess,
  assertStringIncludes,
} from "../_assert.ts";
import { verifiedModel } from "./_fixture.ts";
import { checkModel } from "../../lib/check/check.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import { loadReference } from "../../lib/reference/load.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";
import { bundledPaths, SEED } from "../_bundled.ts";

// deno-lint-ignore no-explicit-any
type Doc = any;

function parse(html: string): Doc {
  return (parseHTML(html) as unknown as { document: Doc }).document;
}

/** Number of marks drawn in the groups of an SVG with the given aria-description. */
function marks(svg: Doc, description: string): number {
  let count = 0;
  for (const g of svg.querySelectorAll(`g[aria-description="${description}"]`)) {
    count += g.children.length;
  }
  return count;
}

/** The largest |model − reference| of entry (i, j) over the points, its point, and its row scale. */
function worstOfEntry(
  model: Float64Array,
  ref: Float64Array,
  points: number,
  i: number,
  j: number,
): { point: number; rowNormalized: number } {
  let worst = -1;
  let point = -1;
  let rowMax = 0;
  for (let k = 0; k < points; k++) {
    for (let jj = 0; jj < 4; jj++) rowMax = Math.max(rowMax, Math.abs(ref[(k * 4 + i) * 4 + jj]!));
    const e = Math.abs(model[(k * 4 + i) * 4 + j]! - ref[(k * 4 + i) * 4 + j]!);
    if (e > worst) {
      worst = e;
      point = k;
    }
  }
  return { point, rowNormalized: worst / rowMax };
}

Deno.test("renderCheckReport() on the bundled FastKAN: status first, every figure with its marks, no script", async () => {
  const v = await verifiedModel("fastkan");
  const r = v.check;
  const html = renderCheckReport(r, { parity: v.parity, sweep: v.sweep });
  assertLess(html.length, 2 * 1024 * 1024);
  assertEquals(/<script|<iframe|<link|<img/i.test(html), false);
  // Nothing is fetched: the only URL is the SVG namespace.
  assertEquals(
    [...html.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0]).filter((u) =>
      u !== "http://www.w3.org/2000/svg"
    ),
    [],
  );
  const doc = parse(html);
  const main = doc.querySelector("main");
  // The status block comes first after the title, subtitle and contents.
  const firstSection = main.querySelector("section");
  assertEquals(firstSection.id, "status");
  const lines = [...firstSection.querySelectorAll("li")];
  assertEquals(lines.map((l: Doc) => l.getAttribute("data-question")), [
    "engines",
    "scaling",
    "value-fit",
    "derivative-fit",
  ]);
  // Pass/fail in words, not colour only.
  assertEquals(
    lines.map((l: Doc) => l.querySelector(".mark").textContent.replace(/[✓✗–]/, "").trim()),
    ["pass", "pass", "fail", "fail"],
  );
  // The derivative-fit line's number is the worst row-normalized error, computed here from the arrays.
  const model = r.jacobians.model.values;
  const ref = r.jacobians.reference.values;
  let worstRow = 0;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      worstRow = Math.max(worstRow, worstOfEntry(model, ref, r.points, i, j).rowNormalized);
    }
  }
  assertStringIncludes(lines[3].textContent, `${formatNumber(worstRow)} > 0.05`);
  assertStringIncludes(lines[2].textContent, "0.9131 < 0.99 (worst f1)");
  // The verdict's cause, summary and action come first, as decided by the check.
  const verdict = firstSection.querySelector(".verdict");
  assertEquals(verdict.getAttribute("data-cause"), r.verdict.cause);
  assertStringIncludes(verdict.textContent, `(cause: ${r.verdict.cause})`);
  assertStringIncludes(firstSection.textContent, r.verdict.summary);
  assertStringIncludes(firstSection.textContent, `What to do: ${r.verdict.action}`);

  // Figures: a heatmap per comparison (model vs reference, autodiff vs finite differences,
  // the derivative graph vs finite differences), 16 entry scatters, 4 + 1 error-vs-input
  // panels, 4 value scatters, the step sweep, 3 LayerNorm histograms; each an SVG with a
  // describing aria-label.
  assert(r.comparisons.graphDifferentiation, "the derivative graph differentiates FastKAN");
  const h = 3;
  const svgs = [...doc.querySelectorAll("figure svg")];
  assertEquals(svgs.length, h + 16 + 5 + 4 + 1 + 3);
  for (const svg of svgs) {
    assertEquals(svg.getAttribute("role"), "img");
    assertGreater(svg.getAttribute("aria-label").length, 60);
    assert(svg.parentNode.querySelector("figcaption").textContent.length > 10);
  }
  const [fitMap, diffMap, graphMap] = svgs;
  assertEquals(marks(fitMap, "cell"), 16);
  assertEquals(marks(diffMap, "cell"), 16);
  assertEquals(marks(graphMap, "cell"), 16);
  assertStringIncludes(
    graphMap.getAttribute("aria-label"),
    "derivative graph vs finite differences",
  );
  // The heatmap cell of df2/dx4 shows its row-normalized error, computed here.
  const f2x4 = worstOfEntry(model, ref, r.points, 1, 3);
  assertStringIncludes(fitMap.textContent, formatNumber(f2x4.rowNormalized));
  // Every entry scatter draws all 200 points (inside the limits or as edge triangles),
  // and labels its worst point by its 1-based row.
  const scatters = svgs.slice(h, h + 16);
  for (const [e, svg] of scatters.entries()) {
    assertEquals(marks(svg, "point") + marks(svg, "point beyond the limits"), 200, `entry ${e}`);
    const worst = worstOfEntry(model, ref, r.points, Math.floor(e / 4), e % 4);
    assert(
      new RegExp(`worst points are rows [0-9, ]*\\b${worst.point + 1}\\b`).test(
        svg.getAttribute("aria-label"),
      ),
      svg.getAttribute("aria-label"),
    );
  }
  assertStringIncludes(scatters[7].getAttribute("aria-label"), `rows ${f2x4.point + 1}`);
  // Real axes: tick labels on both axes.
  assert(scatters[0].querySelector("[aria-label='y-axis tick label']"));
  assert(scatters[0].querySelector("[aria-label='x-axis tick label']"));
  // Error against each input: 200 points per output and input.
  for (const svg of svgs.slice(h + 16, h + 21)) assertEquals(marks(svg, "point"), 800);
  // Predicted vs true: 200 points each, R² in the caption.
  for (const [i, svg] of svgs.slice(h + 21, h + 25).entries()) {
    assertEquals(marks(svg, "point") + marks(svg, "point beyond the limits"), 200);
    assertStringIncludes(
      svg.parentNode.querySelector("figcaption").textContent,
      `R² ${r.values.outputs[i]!.r2.toFixed(4)}`,
    );
  }
  // Step sweep: one dot per step.
  assertEquals(marks(svgs[h + 25], "point"), v.sweep.length);
  // Tables: parity, sweep, diagnostics, four comparison tables, values.
  const captions = [...doc.querySelectorAll("table caption")].map((c: Doc) => c.textContent);
  for (
    const c of [
      "PyTorch parity",
      "Finite-difference step sweep",
      "Graph diagnostics: 9 findings",
      "Model vs analytic reference (derivative graph, physical units)",
      "Values: model vs reference",
    ]
  ) {
    assert(captions.includes(c), `table "${c}" in ${captions.join(" | ")}`);
  }
  assertEquals(doc.querySelectorAll("pre").length, 0);
});

Deno.test("checkMetrics() carries the status lines, the PyTorch parity and the step sweep", async () => {
  const v = await verifiedModel("fastkan");
  const json = JSON.parse(JSON.stringify(
    checkMetrics(v.check, { parity: v.parity, sweep: v.sweep }),
  ));
  assertEquals(json.stepSweep.length, v.sweep.length);
  assertEquals(json.stepSweep[0].step, 0.1);
  // The finite differences' floor is near the default step and far below the largest step's error.
  const floor = Math.min(
    ...json.stepSweep.map((s: { maxRelativeError: number }) => s.maxRelativeError),
  );
  assertLess(floor, 1e-5);
  assertGreater(json.stepSweep[0].maxRelativeError, 1e3 * floor);
  assertEquals(json.parity.autodiff.pass, true);
  assertEquals(json.parity.autodiff.tolerance, 1e-4);
  assertEquals(
    json.status.lines.map((l: { question: string; outcome: string }) =>
      `${l.question} ${l.outcome}`
    ),
    ["engines pass", "scaling pass", "value-fit fail", "derivative-fit fail"],
  );
  const fit = json.status.lines[3].measures[0];
  assertEquals(fit.value, json.fit.worstRowNormalized.value);
  assertEquals(fit.threshold, json.tolerances.fit);
});

Deno.test("writeCheckOutputs() writes a report whose status lines are the words of metrics.json", async () => {
  const v = await verifiedModel("mlp");
  const dir = await Deno.makeTempDir();
  try {
    await writeCheckOutputs(v.check, dir, { parity: v.parity, sweep: v.sweep });
    const metrics = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
    const doc = parse(await Deno.readTextFile(`${dir}/report.html`));
    const items = [...doc.querySelectorAll("#status li")];
    assertEquals(items.length, metrics.status.lines.length);
    metrics.status.lines.forEach(
      (l: { title: string; text: string; outcome: string }, i: number) => {
        assertStringIncludes(items[i].textContent, l.text);
        assertStringIncludes(items[i].textContent, l.title);
        assertEquals(items[i].getAttribute("data-outcome"), l.outcome);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderVerifyIndex() has one linked summary row per model", async () => {
  const models = [await verifiedModel("fastkan"), await verifiedModel("mlp")];
  const html = renderVerifyIndex(models.map((v) => ({
    name: v.name,
    href: `${v.name}/report.html`,
    check: v.check,
    status: checkStatus(v.check, { parity: v.parity }),
    parity: v.parity,
  })));
  assertEquals(html.includes("<script"), false);
  const doc = parse(html);
  const rows = [...doc.querySelectorAll("tbody tr")];
  assertEquals(rows.length, 2);
  assertEquals(rows[0].querySelector("a").getAttribute("href"), "fastkan/report.html");
  assertStringIncludes(rows[0].textContent, "✗ fails: value fit, derivative fit");
  assertStringIncludes(rows[0].textContent, `${models[0]!.check.verdict.cause}: `);
  assertStringIncludes(
    rows[1].textContent,
    formatNumber(models[1]!.check.comparisons.fit.worstRowNormalized.value),
  );
});

Deno.test("renderCheckReport() shows the scaling audit's correction and the user's Jacobian with their heatmaps", async () => {
  const cases = await readFaultCases();
  const swap = await runFaultCase(cases.find((c) => c.name === "output rows swapped")!);
  let doc = (parseHTML(renderCheckReport(swap)) as unknown as { document: Doc }).document;
  const heatmapLabels = () =>
    [...doc.querySelectorAll("figure svg")].map((s: Doc) => s.getAttribute("aria-label"))
      .filter((l: string) => l.startsWith("Heatmap"));
  assertEquals(doc.querySelector(".verdict").getAttribute("data-cause"), "scaling-file");
  const scaling = doc.querySelector("li[data-question='scaling']");
  assertEquals(scaling.getAttribute("data-outcome"), "fail");
  assertStringIncludes(scaling.textContent, "f1 (swap with f2");
  // model vs reference, with the corrected constants, autodiff (and the graph) vs FD
  assertEquals(heatmapLabels().length, 3 + (swap.comparisons.graphDifferentiation ? 1 : 0));
  assertStringIncludes(heatmapLabels()[1], "with the corrected scaling constants");
  assertStringIncludes(
    doc.querySelector("li[data-question='derivative-fit']").textContent,
    "with the corrected scaling constants",
  );

  const inverse = await runFaultCase(cases.find((c) => c.name === "your Jacobian: inverse")!);
  doc = (parseHTML(renderCheckReport(inverse)) as unknown as { document: Doc }).document;
  assertEquals(doc.querySelector(".verdict").getAttribute("data-cause"), "user-jacobian");
  const user = doc.querySelector("li[data-question='user-jacobian']");
  assertEquals(user.getAttribute("data-outcome"), "fail");
  assertStringIncludes(user.textContent, 'matches the mistake "inverse"');
  const labels = heatmapLabels();
  assertEquals(labels.length, 3 + (inverse.comparisons.graphDifferentiation ? 1 : 0));
  assertStringIncludes(labels[1], "your Jacobian vs the model's");
  // The user's heatmap shows the user's Jacobian's error against the model's, computed here.
  const cmp = inverse.audits.userJacobian!.comparison;
  assertStringIncludes(
    labels[1],
    `largest ${formatNumber(Math.max(...cmp.entries.map((e) => e.rowNormalizedError)))}`,
  );
});

Deno.test("checkStatus() and metrics.json say the scaling constants were not audited when there are too few points", async () => {
  const paths = bundledPaths("effkan");
  const surrogate = await loadSurrogate(paths.onnx, { scaling: SEED.scaling });
  try {
    const x = (await readNumericCsv(SEED.inputs)).data.slice(0, 6 * 4); // 6 points: below the audit's minimum of 8
    const check = await checkModel(surrogate, await loadReference(SEED.equations), x);
    const line = checkStatus(check).lines.find((l) => l.question === "scaling")!;
    assertEquals(line.outcome, "not tested");
    assertStringIncludes(
      line.text,
      "not audited (not tested: 6 points, the audit needs at least 8)",
    );
    const verdict = checkMetrics(check).verdict as {
      scaling: { audited: boolean; tested: string };
    };
    assertEquals(verdict.scaling.audited, false);
    assertStringIncludes(verdict.scaling.tested, "6 points");
  } finally {
    await surrogate.dispose();
  }
});
