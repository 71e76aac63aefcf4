import {
  formatNumber,
  formatR2,
  formatThreshold,
  MAX_SCATTER_POINTS,
  pointsToDraw,
  robustLimits,
  scatterFigure,
} from "../../lib/report/figures.ts";
import { assert, assertEquals, assertLess, assertStringIncludes } from "../_assert.ts";

Deno.test("robustLimits() spans the reference and the central model values, not a far outlier", () => {
  const x = Float64Array.from({ length: 100 }, (_, k) => k / 99); // reference in [0, 1]
  const y = Float64Array.from(x, (v, k) => (k === 7 ? 1e6 : v + 0.1));
  const { lo, hi } = robustLimits(x, [y]);
  // About [0, 1.08] (the reference, and y up to its 98th percentile) padded by 5 %:
  // the outlier at 1e6 is beyond the limits.
  assert(lo < 0 && lo > -0.06, `lo ${lo}`);
  assert(hi > 1.1 && hi < 1.2, `hi ${hi}`);
  // A constant reference with a constant model still gets a non-empty range.
  const c = robustLimits([5, 5], [[5, 5]]);
  assertEquals([c.lo, c.hi], [4.75, 5.25]);
});

Deno.test("scatterFigure() draws an outlier at the edge and labels the worst point by its row", () => {
  const x = Float64Array.from({ length: 50 }, (_, k) => k);
  const y = Float64Array.from(x, (v, k) => (k === 20 ? 1e5 : v));
  const rows = Array.from({ length: 50 }, (_, k) => k + 3);
  const fig = scatterFigure({
    title: "∂f/∂x",
    x,
    series: [{ name: "model", y }],
    xLabel: "reference",
    yLabel: "model",
    rows,
    worst: 1,
  });
  assertEquals(fig.counts.inside, [49]);
  assertEquals(fig.counts.beyond, [1]);
  assertEquals(fig.counts.worstRows, [23]);
  assertStringIncludes(fig.svg, ">row 23</text>");
  assertStringIncludes(fig.label, "1 points beyond that are drawn as triangles at the edge");
});

Deno.test("scatterFigure() draws at most MAX_SCATTER_POINTS, keeping the worst, so a report stays small", () => {
  const N = 20000;
  const x = Float64Array.from({ length: N }, (_, k) => Math.sin(k));
  const y = Float64Array.from(x, (v, k) => v + (k === 12345 ? 0.5 : 0.01 * Math.cos(k)));
  const fig = scatterFigure({
    title: "t",
    x,
    series: [{ name: "model", y }],
    xLabel: "reference",
    yLabel: "model",
    rows: Array.from({ length: N }, (_, k) => k + 1),
  });
  assertEquals(fig.counts.drawn, MAX_SCATTER_POINTS);
  assertEquals(fig.counts.inside[0]! + fig.counts.beyond[0]!, MAX_SCATTER_POINTS);
  assertEquals(fig.counts.worstRows[0], 12346);
  assertLess(fig.svg.length, 100_000);
  assertStringIncludes(fig.label, "1000 drawn");
});

Deno.test("pointsToDraw() keeps everything up to the cap, then the worst fifth and an even sample", () => {
  assertEquals([...pointsToDraw(3, 5, () => 0)], [1, 1, 1]);
  const keep = pointsToDraw(100, 10, (k) => (k === 57 ? 1 : 0));
  assertEquals(keep.reduce((a, b) => a + b, 0), 10);
  assert(keep[57] === 1);
});

Deno.test("formatNumber(), formatThreshold() and formatR2() write numbers as the tables do", () => {
  assertEquals(
    [formatNumber(53.6), formatNumber(NaN), formatNumber(Infinity), formatNumber(7.5e-5)],
    ["5.4e+1", "n/a", "∞", "7.5e-5"],
  );
  assertEquals([formatThreshold(0.05), formatThreshold(1e-5), formatThreshold(2e-3)], [
    "0.05",
    "1e-5",
    "2e-3",
  ]);
  assertEquals([formatR2(0.91311), formatR2(-24.67), formatR2(NaN)], ["0.9131", "-24.7", "n/a"]);
});
