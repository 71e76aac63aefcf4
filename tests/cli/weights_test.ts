/**
 * The weights options of the CLI on real PyTorch exports with torch's defaults:
 * unused state_dict keys (a warning, listed by `inspect`), folded weights without
 * the exported state_dict beside the model, and `--exported-weights`.
 */
import { readNumericCsv } from "../../lib/io/table.ts";
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { assertOneLineError, partials } from "./_partials.ts";

const DIR = new URL("../testdata/weights/", import.meta.url).pathname;

/** float32 forward vs PyTorch float64, as a fraction of each output's range over the points. */
const FORWARD_TOLERANCE = { float32: 1e-5 } as const;

Deno.test("partials inspect --weights lists a buffer the graph does not use and warns about it", async () => {
  const args = ["inspect", `${DIR}unused/model.onnx`, "--weights", `${DIR}unused/perturbed.pth`];
  const json = await partials(...args, "--json");
  assertEquals(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout);
  assertEquals(report.unused, ["rbf.inv_denominator"]);
  assertEquals(report.mappedWith, `${DIR}unused/model.pth`);
  assert(
    report.initializers.some((r: { kind: string; keys: string[] }) =>
      r.kind === "unused" && r.keys.join() === "rbf.inv_denominator"
    ),
  );
  const text = await partials(...args);
  assertEquals(text.code, 0, text.stderr);
  assert(/^-\s+\[\]\s+unused\s+rbf\.inv_denominator/m.test(text.stdout), text.stdout);
  assertStringIncludes(text.stderr, "warning: ");
  assertStringIncludes(text.stderr, '"rbf.inv_denominator" [] is not used by');
});

Deno.test("partials forward --exported-weights maps folded weights when model.pth is not beside the model", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(`${DIR}views/model.onnx`, `${dir}/model.onnx`);
    const expected = JSON.parse(await Deno.readTextFile(`${DIR}views/expected.json`));
    const x = expected.x as number[][];
    await Deno.writeTextFile(
      `${dir}/x.csv`,
      ["x1,x2,x3,x4", ...x.map((row) => row.map((v) => v.toPrecision(17)).join(","))].join("\n") +
        "\n",
    );
    const base = [
      "forward",
      "--model",
      `${dir}/model.onnx`,
      "--inputs",
      `${dir}/x.csv`,
      "--weights",
      `${DIR}views/perturbed.pth`,
      "--out",
      `${dir}/y.csv`,
    ];
    const refused = await partials(...base);
    assertOneLineError(refused, 1, "--exported-weights");
    assertStringIncludes(
      refused.stderr,
      "matched by value against the weights the file was exported with",
    );

    const r = await partials(...base, "--exported-weights", `${DIR}views/model.pth`);
    assertEquals(r.code, 0, r.stderr);
    const y = await readNumericCsv(`${dir}/y.csv`);
    const want = expected.perturbed.y as number[][];
    for (let i = 0; i < 3; i++) {
      const column = want.map((row) => row[i]!);
      const range = Math.max(...column) - Math.min(...column);
      column.forEach((v, k) => {
        const got = y.data[k * 7 + 4 + i]!;
        assert(
          Math.abs(got - v) <= FORWARD_TOLERANCE.float32 * range,
          `y${i + 1} row ${k}: ${got} vs ${v}`,
        );
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
