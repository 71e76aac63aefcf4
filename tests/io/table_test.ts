import {
  concatColumns,
  formatNumericCsv,
  getColumn,
  makeTable,
  parseNumericCsv,
  readNumericCsv,
  writeNumericCsv,
} from "../../lib/io/table.ts";
import { writeFileAtomic } from "../../lib/io/atomic.ts";
import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";

Deno.test("parseNumericCsv() reads a header and row-major float64 data", () => {
  const t = parseNumericCsv("x1,x2\n1,2.5\n-3e-2,4\n", "a.csv");
  assertEquals(t.columns, ["x1", "x2"]);
  assertEquals(t.rows, 2);
  assertEquals([...t.data], [1, 2.5, -0.03, 4]);
});

Deno.test("parseNumericCsv() refuses bad input with a one-line message naming file, line and column", async (t) => {
  const cases: [string, string, string][] = [
    ["empty file", "", "Cannot read a.csv: the file is empty"],
    ["header only", "x1,x2\n", "Cannot read a.csv: no data rows after the header"],
    ["ragged row", "x1,x2\n1,2\n3\n", "row at line 3 has 1 cells, the header has 2"],
    ["non-numeric cell", "x1,x2\n1,abc\n", 'line 2, column "x2": "abc" is not a number'],
    ["NaN cell", "x1,x2\n1,NaN\n", 'line 2, column "x2": NaN is not finite'],
    ["Inf cell", "x1,x2\ninf,1\n", 'line 2, column "x1": inf is not finite'],
    ["duplicate header", "x1,x1\n1,2\n", 'header names column "x1" twice'],
    ["empty header", "x1,\n1,2\n", "header column 2 has no name"],
  ];
  for (const [name, text, message] of cases) {
    await t.step(name, () => {
      const error = assertThrows(() => parseNumericCsv(text, "a.csv"), SyntaxError, message);
      assertEquals(error.message.includes("\n"), false);
    });
  }
  await t.step("missing required column", () => {
    assertThrows(
      () => parseNumericCsv("x1\n1\n", "a.csv", { requiredColumns: ["x2"] }),
      SyntaxError,
      'missing column "x2"',
    );
  });
});

Deno.test("parseNumericCsv() accepts non-finite cells when allowed", () => {
  const t = parseNumericCsv("a\nNaN\n-inf\n", "a.csv", { allowNonFinite: true });
  assertEquals(Number.isNaN(t.data[0]), true);
  assertEquals(t.data[1], -Infinity);
});

Deno.test("writeNumericCsv() round-trips float64 values exactly", async () => {
  const dir = await Deno.makeTempDir();
  const values = new Float64Array([0.1, 1 / 3, -1e-300, 123456789.123456789, Math.PI, 2 ** -52]);
  const table = makeTable(["a", "b"], values);
  await writeNumericCsv(`${dir}/t.csv`, table);
  const back = await readNumericCsv(`${dir}/t.csv`);
  assertEquals([...back.data], [...values]);
  assertEquals(formatNumericCsv(back).split("\r\n")[0], "a,b");
});

Deno.test("readNumericCsv() names a missing file", async () => {
  await assertRejects(
    () => readNumericCsv("/nonexistent/x.csv"),
    Error,
    "Cannot read /nonexistent/x.csv: no such file",
  );
});

Deno.test("writeFileAtomic() replaces a file and leaves no temporary behind", async () => {
  const dir = await Deno.makeTempDir();
  await writeFileAtomic(`${dir}/f.txt`, "one");
  await writeFileAtomic(`${dir}/f.txt`, new TextEncoder().encode("two"));
  assertEquals(await Deno.readTextFile(`${dir}/f.txt`), "two");
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assertEquals(names, ["f.txt"]);
});

Deno.test("concatColumns() and getColumn() keep row order", () => {
  const a = makeTable(["x"], new Float64Array([1, 2]));
  const b = makeTable(["y", "z"], new Float64Array([3, 4, 5, 6]));
  const c = concatColumns(a, b);
  assertEquals(c.columns, ["x", "y", "z"]);
  assertEquals([...c.data], [1, 3, 4, 2, 5, 6]);
  assertEquals([...getColumn(c, "z")], [4, 6]);
  assertThrows(
    () => concatColumns(a, makeTable(["q"], new Float64Array([1]))),
    RangeError,
    "1 rows beside 2",
  );
});
