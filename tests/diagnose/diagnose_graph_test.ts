import { diagnoseGraph, diagnosticsToJson, formatDiagnostics } from "../../lib/diagnose/mod.ts";
import { assertEquals, assertMatch, assertRejects, assertStringIncludes } from "../_assert.ts";
import { attr, floats, node, tinyModel } from "./_tiny_model.ts";

function model() {
  return tinyModel({
    n: 4,
    m: 4,
    nodes: [
      node("LayerNormalization", ["x", "gamma"], ["h"], [attr.float("epsilon", 0)], "ln"),
      node("Tanh", ["h"], ["y"], [], "act"),
    ],
    initializers: [floats("gamma", [4], [1, 1, 1, 1])],
  }, "two.onnx");
}

Deno.test("diagnoseGraph() refuses inputs that do not match the model's width or a bad point count", async () => {
  await assertRejects(
    () => diagnoseGraph(model(), new Float64Array(7), 2),
    TypeError,
    "two.onnx: the model takes 4 inputs per point, got 7 values for 2 points",
  );
  await assertRejects(
    () => diagnoseGraph(model(), new Float64Array(0), 0),
    RangeError,
    "0 is not a number of points",
  );
});

Deno.test("formatDiagnostics() writes a heading and one aligned line per finding", async () => {
  const withEps = tinyModel({
    n: 4,
    m: 4,
    nodes: [
      node("LayerNormalization", ["x", "gamma"], ["h"], [], "ln"),
      node("Tanh", ["h"], ["y"], [], "act"),
    ],
    initializers: [floats("gamma", [4], [1, 1, 1, 1])],
  }, "two.onnx");
  const d = await diagnoseGraph(withEps, Float64Array.of(0, 1, 2, 3, 5, 5, 5, 5), 2);
  const lines = formatDiagnostics(d).split("\n");
  assertEquals(lines.length, 3);
  assertEquals(lines[0], "Graph diagnostics of two.onnx at 2 points (float32): 2 findings");
  assertMatch(lines[1]!, /^layer-norm {2}ln {3}k=4, rank 2\.\.3 of 4, σ min 0\.00316 /);
  assertMatch(lines[2]!, /^saturation {2}act {2}tanh: 0% saturated \(\|z\| > 2\.99\) +0% of the/);
  // the explanation column starts at the same offset on both lines
  assertEquals(lines[1]!.indexOf("Layer normalization"), lines[2]!.indexOf("0% of the outputs"));
  assertStringIncludes(lines[1]!, "sees only 2 of the 4 input directions at 1 of 2 rows");
});

Deno.test("diagnosticsToJson() writes an infinite gain (σ = 0 with ε = 0) as null", async () => {
  // the row 5, 5, 5, 5 has σ = 0 when ε = 0
  const d = await diagnoseGraph(model(), Float64Array.of(0, 1, 2, 3, 5, 5, 5, 5), 2);
  assertEquals(d.layerNorms[0]!.gain.max, Infinity);
  assertEquals(d.layerNorms[0]!.singularRows, 1);
  assertEquals(d.layerNorms[0]!.rankCounts, [{ rank: 2, rows: 1 }]);
  const json = diagnosticsToJson(d) as { layerNorms: { gain: { max: unknown } }[] };
  assertEquals(json.layerNorms[0]!.gain.max, null);
  assertEquals(JSON.parse(JSON.stringify(json)).layerNorms[0].gain.max, null);
});
