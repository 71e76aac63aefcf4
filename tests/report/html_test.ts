import { escapeHtml, renderPage, renderTable } from "../../lib/report/html.ts";
import { assertEquals, assertStringIncludes } from "../_assert.ts";

Deno.test("renderPage() escapes text so a variable name cannot inject markup", () => {
  const html = renderPage({ title: "a<b", body: `<p>${escapeHtml("<script>x & y")}</p>` });
  assertStringIncludes(html, "<title>a&#60;b</title>");
  assertStringIncludes(html, "&#60;script&#62;x &#38; y");
  assertEquals(html.includes("<script"), false);
  assertEquals(escapeHtml(`"'`), "&#34;&#39;");
});

Deno.test("renderTable() writes real table markup with a label on every cell for stacking", () => {
  const html = renderTable({
    caption: "c",
    head: ["entry", "error"],
    numeric: [1],
    rows: [["df1/dx1", { text: "1.0e-3", className: "bad" }]],
  });
  assertStringIncludes(html, "<caption>c</caption>");
  assertStringIncludes(html, '<th scope="col" class="num">error</th>');
  assertStringIncludes(html, '<th scope="row" data-label="entry">df1/dx1</th>');
  assertStringIncludes(html, '<td class="num bad" data-label="error">1.0e-3</td>');
});
