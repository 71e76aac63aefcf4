import { assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { parseScaling, readScaling } from "../../lib/scaling/mod.ts";

const SEED = new URL("../../data/seed/olhs_samples_max_min.csv", import.meta.url).pathname;
const SEED_SAMPLES = new URL("../../data/seed/olhs_samples.csv", import.meta.url).pathname;
const FOUR = { inputCount: 4, outputCount: 4 };

Deno.test("readScaling() reads the seed olhs_samples_max_min.csv: inputs first, min/max of the samples", async () => {
  const s = await readScaling(SEED, { ...FOUR, inputNames: ["x1", "x2", "x3", "x4"] });
  assertEquals(s.inputs.map((v) => v.name), ["x1", "x2", "x3", "x4"]);
  assertEquals(s.outputs.map((v) => v.name), ["f1", "f2", "f3", "f4"]);
  // Independent oracle: the extremes of every column of the samples file.
  const lines = (await Deno.readTextFile(SEED_SAMPLES)).trim().split(/\r?\n/);
  const header = lines[0]!.split(",");
  const values = lines.slice(1).map((l) => l.split(",").map(Number));
  for (const v of [...s.inputs, ...s.outputs]) {
    const c = header.indexOf(v.name);
    const column = values.map((row) => row[c]!);
    if (v.kind !== "minmax") throw new Error(`${v.name} is ${v.kind}`);
    assertEquals(v.min, Math.min(...column));
    assertEquals(v.max, Math.max(...column));
    assertEquals(v.scale, 1 / (v.max - v.min));
  }
});

Deno.test("parseScaling() defaults names to x1..xn, y1..ym and takes the inputs CSV's names", () => {
  const text = "min,max\n0,1\n0,2\n5,6\n";
  const plain = parseScaling(text, "s.csv", { inputCount: 2, outputCount: 1 });
  assertEquals([...plain.inputs, ...plain.outputs].map((v) => v.name), ["x1", "x2", "y1"]);
  const named = parseScaling(text, "s.csv", {
    inputCount: 2,
    outputCount: 1,
    inputNames: ["p", "T"],
  });
  assertEquals(named.inputs.map((v) => v.name), ["p", "T"]);
});

Deno.test("parseScaling() refuses each bad CSV with a one-line message naming file and row", async (t) => {
  const cases: [
    string,
    string,
    ErrorConstructor | SyntaxErrorConstructor | RangeErrorConstructor,
    string,
  ][] = [
    ["not a scaling file", "not,a,scaling\n", SyntaxError, `bad.csv: missing column "Min"`],
    ["missing Max", "Variable,Min\nx1,0\n", SyntaxError, `bad.csv: missing column "Max"`],
    [
      "too few rows",
      "Variable,Min,Max\nx1,0,1\nx2,0,1\nf1,0,1\n",
      SyntaxError,
      "bad.csv: it has 3 variables, the model needs 8 (4 inputs + 4 outputs)",
    ],
    [
      "too many rows",
      "Min,Max\n" + "0,1\n".repeat(9),
      SyntaxError,
      "bad.csv: it has 9 variables, the model needs 8 (4 inputs + 4 outputs)",
    ],
    [
      "zero range",
      "Variable,Min,Max\nx1,0,1\nx2,2,2\nx3,0,1\nx4,0,1\nf1,0,1\nf2,0,1\nf3,0,1\nf4,0,1\n",
      RangeError,
      `bad.csv: line 3 ("x2") has Min 2 >= Max 2`,
    ],
    [
      "negative range",
      "Variable,Min,Max\nx1,0,1\nx2,0,1\nx3,0,1\nx4,0,1\nf1,0,1\nf2,0,1\nf3,0,1\nf4,5,1\n",
      RangeError,
      `bad.csv: line 9 ("f4") has Min 5 >= Max 1`,
    ],
    [
      "non-numeric cell",
      "Variable,Min,Max\nx1,0,one\n",
      SyntaxError,
      `bad.csv: line 2 ("x1"), column Max: "one" is not a finite number`,
    ],
    ["empty file", "", SyntaxError, "bad.csv: the file is empty"],
  ];
  for (const [name, text, ErrorClass, message] of cases) {
    await t.step(name, () => {
      const error = assertThrows(() => parseScaling(text, "bad.csv", FOUR), ErrorClass, message);
      assertEquals(error.message.includes("\n"), false);
    });
  }
});

Deno.test("readScaling() names both sides when a name differs from the inputs CSV header", async () => {
  await assertRejects(
    () => readScaling(SEED, { ...FOUR, inputNames: ["x1", "x2", "z3", "x4"] }),
    SyntaxError,
    `the inputs CSV's column 3 is "z3", the scaling file's input 3 is "x3"`,
  );
  await assertRejects(
    () => readScaling("/nonexistent/scaling.csv", FOUR),
    Error,
    "Cannot read /nonexistent/scaling.csv: no such file",
  );
});

Deno.test("parseScaling() reads the JSON form with every kind", () => {
  const text = JSON.stringify({
    inputs: [
      { name: "a", kind: "minmax", min: 0, max: 4, range: [-1, 1] },
      { name: "b", kind: "zscore", mean: 2, std: 0.5 },
    ],
    outputs: [{ kind: "identity" }, { min: 10, max: 20 }],
  });
  const s = parseScaling(text, "s.json", { inputCount: 2, outputCount: 2 });
  assertEquals(s.inputs.map((v) => [v.name, v.kind, v.scale, v.offset]), [
    ["a", "minmax", 0.5, -1],
    ["b", "zscore", 2, -4],
  ]);
  assertEquals(s.outputs.map((v) => [v.name, v.kind, v.scale]), [
    ["y1", "identity", 1],
    ["y2", "minmax", 0.1],
  ]);
});

Deno.test("parseScaling() refuses bad JSON scaling files with one-line messages", async (t) => {
  const two = { inputCount: 1, outputCount: 1 };
  const cases: [
    string,
    string,
    ErrorConstructor | SyntaxErrorConstructor | RangeErrorConstructor,
    string,
  ][] = [
    ["unparseable", "{inputs: ", SyntaxError, "Cannot parse s.json"],
    ["no outputs", `{"inputs": []}`, SyntaxError, `s.json: "outputs" is missing or not a list`],
    [
      "wrong count",
      `{"inputs": [{"min":0,"max":1}], "outputs": []}`,
      SyntaxError,
      "the model needs 2 (1 inputs + 1 outputs); the file lists 1 inputs and 0 outputs",
    ],
    [
      "zero std",
      `{"inputs": [{"name":"x1","kind":"zscore","mean":0,"std":0}], "outputs": [{"kind":"identity"}]}`,
      RangeError,
      `s.json: inputs[0] ("x1"): std 0 is not positive`,
    ],
    [
      "unknown kind",
      `{"inputs": [{"kind":"log"}], "outputs": [{"kind":"identity"}]}`,
      SyntaxError,
      `inputs[0] ("x1") has kind "log"`,
    ],
    [
      "missing max",
      `{"inputs": [{"min":0}], "outputs": [{"kind":"identity"}]}`,
      SyntaxError,
      `inputs[0] ("x1") needs a number "max", got undefined`,
    ],
  ];
  for (const [name, text, ErrorClass, message] of cases) {
    await t.step(name, () => {
      assertThrows(() => parseScaling(text, "s.json", two), ErrorClass, message);
    });
  }
});
