import { escapeHtml, renderReport, renderScatterSvg } from "../../lib/report/html.ts";
import { assertEquals, assertStringIncludes } from "../_assert.ts";

Deno.test("renderScatterSvg() draws one dot per finite point on the y = x frame", () => {
  const svg = renderScatterSvg({
    title: "df1/dx1",
    reference: [0, 1, 2, NaN],
    model: [0, 1, 4, 1],
  });
  assertEquals(svg.match(/<circle /g)?.length, 3);
  // The axis spans [0, 4]: the point (2, 4) sits at x = 34 + 0.5*122 = 95, y = 190 - 34 - 122 = 34.
  assertStringIncludes(svg, 'cx="95.0" cy="34.0"');
});

Deno.test("renderReport() escapes text so a variable name cannot inject markup", () => {
  const html = renderReport("a<b", [{ heading: "<script>", paragraphs: ["x & y"], panels: [] }]);
  assertStringIncludes(html, "<title>a&#60;b</title>");
  assertStringIncludes(html, "&#60;script&#62;");
  assertEquals(html.includes("<script>"), false);
  assertEquals(escapeHtml(`"'`), "&#34;&#39;");
});
