import { DEFAULT_LIMITS, limits, setLimits } from "../../lib/io/limits.ts";
import { readRegularFile } from "../../lib/io/read_file.ts";
import { describeError, escapeControl, quote } from "../../lib/io/quote.ts";
import { parseNumericCsv } from "../../lib/io/table.ts";
import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "../_assert.ts";

Deno.test("limits() reads PARTIALS_LIMITS once, and refuses unknown names and bad values", async () => {
  const run = async (value: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { limits } from "${new URL("../../lib/io/limits.ts", import.meta.url).href}";
         try { console.log(JSON.stringify(limits())); } catch (e) { console.log(e.message); }`,
      ],
      env: { PARTIALS_LIMITS: value },
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim();
  };
  const raised = JSON.parse(await run("maxFileBytes=4e9, maxCsvColumns=10"));
  assertEquals(raised.maxFileBytes, 4e9);
  assertEquals(raised.maxCsvColumns, 10);
  assertEquals(raised.maxZipEntries, DEFAULT_LIMITS.maxZipEntries);
  assertStringIncludes(await run("maxFiles=3"), 'unknown limit "maxFiles"');
  assertStringIncludes(await run("maxFileBytes=-1"), "is not a positive number");
});

Deno.test("readRegularFile() refuses a file over the size limit before reading it, naming it and the limit", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(2048));
  const before = setLimits({ maxFileBytes: 1024 });
  try {
    await assertRejects(
      () => readRegularFile(`${dir}/big.bin`),
      RangeError,
      `Cannot read ${dir}/big.bin: 2048 bytes is larger than the limit of 1024 (raise it with PARTIALS_LIMITS="maxFileBytes=…")`,
    );
    assertEquals(limits().maxFileBytes, 1024);
  } finally {
    setLimits(before);
  }
  assertEquals((await readRegularFile(`${dir}/big.bin`)).length, 2048);
  await assertRejects(() => readRegularFile("/dev/zero"), Error, "/dev/zero: not a regular file");
  await assertRejects(() => readRegularFile(dir), Error, "it is a folder");
});

Deno.test("quote() escapes control characters and cuts at 100 characters; describeError() keeps one line", () => {
  assertEquals(quote("a\u001b[31mb"), '"a\\u001b[31mb"');
  assertEquals(quote('say "hi"\\'), '"say \\"hi\\"\\\\"');
  assertEquals(quote("x".repeat(300)), `"${"x".repeat(100)}…" (300 characters)`);
  assertEquals(escapeControl("\u202e\u0000\t"), "\\u202e\\u0000\\t");
  assertEquals(
    describeError(new SyntaxError("Unexpected token\n  \u001b[31m here")),
    "Unexpected token\\n  \\u001b[31m here",
  );
});

Deno.test("parseNumericCsv() finds a repeated name among 100,000 columns and refuses more than the limit", () => {
  const names = Array.from({ length: 100_000 }, (_, i) => `c${i}`);
  names[99_999] = "c5";
  assertThrows(
    () => parseNumericCsv(`${names.join(",")}\n${names.map(() => 1).join(",")}\n`, "wide.csv"),
    SyntaxError,
    'header names column "c5" twice (columns 6 and 100000)',
  );
  const before = setLimits({ maxCsvColumns: 3 });
  try {
    assertThrows(
      () => parseNumericCsv("a,b,c,d\n1,2,3,4\n", "w.csv"),
      RangeError,
      "4 columns, more than the limit of 3",
    );
  } finally {
    setLimits(before);
  }
});

Deno.test("parseNumericCsv() reads semicolons and tabs with a warning, and hints at decimal commas", () => {
  const warnings: string[] = [];
  const t = parseNumericCsv("x1;x2\n1.5;2\n", "semi.csv", { onWarning: (w) => warnings.push(w) });
  assertEquals([...t.data], [1.5, 2]);
  const tabs = parseNumericCsv("x1\tx2\n3\t4\n", "tabs.csv", {
    onWarning: (w) => warnings.push(w),
  });
  assertEquals([...tabs.data], [3, 4]);
  assertEquals(warnings, [
    "semi.csv: cells are separated by semicolons, not commas; reading it that way",
    "tabs.csv: cells are separated by tabs, not commas; reading it that way",
  ]);
  assertThrows(
    () => parseNumericCsv("x1;x2\n1,5;2\n", "comma.csv"),
    SyntaxError,
    `line 2, column "x1": "1,5" is not a number (a decimal comma? write numbers with a point)`,
  );
  assertThrows(
    () => parseNumericCsv("x1,x2\n1e309,2\n", "big.csv"),
    SyntaxError,
    "1e309 is not finite (beyond the float64 range ±1.8e308)",
  );
});
