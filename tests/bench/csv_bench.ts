/**
 * The CSV path of `partials jacobian`, measured apart from the computation:
 * parsing 100,000 rows of 4 inputs and formatting 100,000 rows of 20 numbers
 * (4 inputs and a 4 × 4 Jacobian, float32 values at full float64 precision).
 * Baselines: the Deno standard library's CSV parser, and formatting by string
 * concatenation, which the chunked reader and writer replaced.
 *
 * @module
 */
import { parseCsvRows } from "../../lib/io/_std_csv.ts";
import { formatRows, NumericCsvParser, parseNumber } from "../../lib/io/csv_stream.ts";
import { mulberry32 } from "../../lib/sampling/prng.ts";

const ROWS = 100000;
const rand = mulberry32(3);
const inputs = Float64Array.from({ length: ROWS * 4 }, () => 0.5 + 2 * rand());
const text = "x1,x2,x3,x4\n" +
  Array.from({ length: ROWS }, (_, k) => inputs.subarray(k * 4, k * 4 + 4).join(",")).join("\n") +
  "\n";
const results = Float64Array.from({ length: ROWS * 20 }, () => Math.fround(100 * rand() - 50));

Deno.bench("parse: Deno std CSV parser, then each cell", {
  group: "parse 100,000 rows x 4",
  baseline: true,
}, () => {
  const rows = parseCsvRows(text);
  const out = new Float64Array((rows.length - 1) * 4);
  for (let r = 1; r < rows.length; r++) {
    rows[r]!.forEach((cell, c) => out[(r - 1) * 4 + c] = parseNumber(cell)!);
  }
});

Deno.bench("parse: NumericCsvParser (the chunked reader's)", {
  group: "parse 100,000 rows x 4",
}, () => {
  const parser = new NumericCsvParser("bench.csv");
  parser.push(text);
  parser.end();
  parser.take();
});

Deno.bench("format: string concatenation", {
  group: "format 100,000 rows x 20",
  baseline: true,
}, () => {
  const lines = new Array<string>(ROWS);
  for (let r = 0; r < ROWS; r++) {
    let line = String(results[r * 20]);
    for (let c = 1; c < 20; c++) line += "," + results[r * 20 + c];
    lines[r] = line;
  }
  lines.join("\r\n");
});

Deno.bench("format: formatRows (typed-array join)", {
  group: "format 100,000 rows x 20",
}, () => {
  formatRows(results, ROWS, 20);
});
