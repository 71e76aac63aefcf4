import { parseHTML } from "linkedom";
import { formatNumber } from "../../lib/report/figures.ts";
import { renderRefitReport, writeRefitReport } from "../../lib/report/refit_report.ts";
import {
  assert,
  assertEquals,
  assertGreater,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";
import { refitReportInput } from "./_fixture.ts";

// deno-lint-ignore no-explicit-any
type Doc = any;

function marks(svg: Doc, description: string): number {
  let count = 0;
  for (const g of svg.querySelectorAll(`g[aria-description="${description}"]`)) {
    count += g.children.length;
  }
  return count;
}

/** `max over points and inputs |J − J_ref| / max |J_ref|` of output `i`, computed here. */
function rowError(model: Float64Array, ref: Float64Array, i: number, m: number, n: number): number {
  const N = ref.length / (m * n);
  let err = 0;
  let scale = 0;
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < n; j++) {
      const at = (k * m + i) * n + j;
      err = Math.max(err, Math.abs(model[at]! - ref[at]!));
      scale = Math.max(scale, Math.abs(ref[at]!));
    }
  }
  return err / scale;
}

Deno.test("renderRefitReport() on a committed FastKAN refit: loss curves, before/after heatmaps and scatters", async () => {
  const input = await refitReportInput();
  const html = renderRefitReport(input);
  assertEquals(/<script|<link|<img/i.test(html), false);
  const doc = (parseHTML(html) as unknown as { document: Doc }).document;
  // Status first: value fit and derivative fit, before → after, with the numbers computed here.
  const status = doc.querySelector("main section");
  assertEquals(status.id, "status");
  const items = [...status.querySelectorAll("li")];
  assertEquals(items.map((l: Doc) => l.getAttribute("data-question")), [
    "value-fit",
    "derivative-fit",
  ]);
  const worst = (j: Float64Array) =>
    Math.max(...[0, 1, 2, 3].map((i) => rowError(j, input.holdout.jacobian, i, 4, 4)));
  const before = worst(input.before.jacobian);
  const after = worst(input.after.jacobian);
  assertGreater(before, after); // the refit helps
  assertStringIncludes(
    items[1].textContent,
    `${formatNumber(before)} (f2) before → ${formatNumber(after)}`,
  );
  // Judged at the default tolerance (0.05) and at the refit's default target (0.01).
  const markAt = (fitTolerance?: number) => {
    const page = renderRefitReport(fitTolerance === undefined ? input : { ...input, fitTolerance });
    const d = (parseHTML(page) as unknown as { document: Doc }).document;
    return d.querySelectorAll("main section li")[1].querySelector(".mark").textContent;
  };
  assertStringIncludes(markAt(), after <= 0.05 ? "pass" : "fail");
  assertStringIncludes(markAt(0.01), after <= 0.01 ? "pass" : "fail");
  assertEquals(markAt() === markAt(0.01), after <= 0.01 || after > 0.05);

  const svgs = [...doc.querySelectorAll("figure svg")];
  // Loss curves, 2 heatmaps, 16 entry scatters, 4 value scatters.
  assertEquals(svgs.length, 1 + 2 + 16 + 4);
  for (const svg of svgs) assertGreater(svg.getAttribute("aria-label").length, 60);
  // One line per recorded loss series (training total and three held-out parts), one dot per epoch.
  assertEquals(marks(svgs[0], "line"), 4);
  // (dots only while there are at most 60 of them; a long history is lines alone)
  const dots = 4 * input.history.length;
  assertEquals(marks(svgs[0], "point"), dots <= 60 ? dots : 0);
  assertEquals(marks(svgs[1], "cell"), 16);
  assertEquals(marks(svgs[2], "cell"), 16);
  for (const svg of svgs.slice(3)) {
    // Both models at all 200 held-out points.
    assertEquals(marks(svg, "point") + marks(svg, "point beyond the limits"), 400);
  }
  assert(doc.querySelector("table caption"));
});

Deno.test("renderRefitReport() names the array whose length does not match", async () => {
  const input = await refitReportInput();
  assertThrows(
    () =>
      renderRefitReport({
        ...input,
        after: { ...input.after, jacobian: input.after.jacobian.subarray(16) },
      }),
    TypeError,
    "after.jacobian has 3184 values, expected 200 × 16",
  );
});

Deno.test("writeRefitReport() writes DIR/report.html", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await writeRefitReport(dir, await refitReportInput());
    assertEquals(path, `${dir}/report.html`);
    assertStringIncludes(
      await Deno.readTextFile(path),
      "<h1>Refit of data/models/fastkan/model.onnx</h1>",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
