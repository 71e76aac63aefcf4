/**
 * The warnings that replace silent surprises: results in the model's own
 * (normalized) units, a scaling file without names, cells separated by
 * semicolons, points outside the scaling box. One line each on standard
 * error; `--quiet` silences them.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { bundledPaths, SEED } from "../_bundled.ts";
import { partials } from "./_partials.ts";
import { BoxCheck } from "../../lib/scaling/box.ts";
import { minMaxScaler, zScoreScaler } from "../../lib/scaling/scaler.ts";

const MLP = bundledPaths("mlp").onnx;

/** A folder with a few seed points (some outside the box), a nameless scaling file, a semicolon CSV. */
async function files() {
  const dir = await Deno.makeTempDir();
  const seed = (await Deno.readTextFile(SEED.inputs)).split("\n").slice(0, 6).join("\n") + "\n";
  await Deno.writeTextFile(`${dir}/in.csv`, seed);
  await Deno.writeTextFile(`${dir}/semi.csv`, "x1;x2;x3;x4\n1.0;1.5;2.0;3.2\n1.1;1.2;1.3;1.4\n");
  const rows = (await Deno.readTextFile(SEED.scaling)).trim().split("\n").slice(1);
  await Deno.writeTextFile(
    `${dir}/noname.csv`,
    "Min,Max\n" + rows.map((r) => r.split(",").slice(1).join(",")).join("\n") + "\n",
  );
  return dir;
}

Deno.test("warnings: normalized units, a nameless scaling file, semicolons, points outside the box; --quiet silences them", async () => {
  const dir = await files();
  const noScaling = await partials(
    "forward",
    "--model",
    MLP,
    "--inputs",
    `${dir}/in.csv`,
    "--out",
    `${dir}/y.csv`,
  );
  assertEquals(noScaling.code, 0, noScaling.stderr);
  assertStringIncludes(
    noScaling.stderr,
    "warning: " + MLP +
      ": no scaling file, so inputs go to the model as they are and its outputs y1, y2, y3, y4 are in the model's own units",
  );
  const args = [
    "forward",
    "--model",
    MLP,
    "--inputs",
    `${dir}/semi.csv`,
    "--scaling",
    `${dir}/noname.csv`,
    "--out",
    `${dir}/y2.csv`,
  ];
  const r = await partials(...args);
  assertEquals(r.code, 0, r.stderr);
  const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning: "));
  assertEquals(warnings.length, 3, r.stderr);
  assertStringIncludes(warnings[0]!, "semi.csv: cells are separated by semicolons, not commas");
  assertStringIncludes(
    warnings[1]!,
    "noname.csv names no variables: its rows are taken in model order",
  );
  assertStringIncludes(
    warnings[2]!,
    "semi.csv: 1 of 2 points lie outside the scaling box (farthest: x4 = 3.2",
  );
  const quiet = await partials(...args, "--quiet");
  assertEquals(quiet.code, 0);
  assertEquals(quiet.stderr.split("\n").filter((l) => l.startsWith("warning")), []);
});

Deno.test("BoxCheck counts points outside the min-max box and names the farthest one", () => {
  const box = new BoxCheck({
    inputs: [
      minMaxScaler("a", { min: 0, max: 10 }),
      zScoreScaler("b", { mean: 0, std: 1 }), // no box: not checked
    ],
    outputs: [],
  });
  box.add(Float64Array.from([5, 99, 10, -99, 10.5, 0, -2, 0]), 4);
  assertEquals(box.counts, { points: 4, outside: 2 });
  assertEquals(
    box.warning("p.csv"),
    "p.csv: 2 of 4 points lie outside the scaling box (farthest: a = -2, below its Min 0 by 20% of the range); the model extrapolates there",
  );
  const inside = new BoxCheck({ inputs: [minMaxScaler("a", { min: 0, max: 1 })], outputs: [] });
  inside.add(Float64Array.from([0, 1, 0.5]), 3);
  assertEquals(inside.warning("q.csv"), undefined);
});
