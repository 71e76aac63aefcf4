/**
 * Broken ONNX files through the CLI, as a user sees them: one line on standard
 * error naming the file (and the node), nothing from onnxruntime's own log.
 */
import onnxProto from "onnx-proto";
import { assertEquals } from "../_assert.ts";
import { SEED } from "../_bundled.ts";
import { assertOneLineError, partials } from "./_partials.ts";

const vi = (name: string, width: number) => ({
  name,
  type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: width }] } } },
});

function model(
  nodes: onnxProto.onnx.INodeProto[],
  initializer: onnxProto.onnx.ITensorProto[] = [],
) {
  return onnxProto.onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: { name: "g", node: nodes, input: [vi("x", 4)], output: [vi("y", 4)], initializer },
  }).finish();
}

function int64(name: string, values: number[]): onnxProto.onnx.ITensorProto {
  const raw = new Uint8Array(8 * values.length);
  values.forEach((v, i) => new DataView(raw.buffer).setBigInt64(8 * i, BigInt(v), true));
  return { name, dims: [values.length], dataType: 7, rawData: raw };
}

Deno.test("broken ONNX files give one line naming the file and node, and no onnxruntime log", async (t) => {
  const dir = await Deno.makeTempDir();
  const cases: [string, Uint8Array, string][] = [
    [
      "a node input that is not an initializer (onnxruntime: 'Invalid model. Node input …')",
      model([{
        opType: "Add",
        input: ["x", "layers.0.base_linear.bias"],
        output: ["y"],
        name: "/add",
      }]),
      `node "/add" (Add) reads "layers.0.base_linear.bias", which is neither a graph input, an initializer nor a node output`,
    ],
    [
      "ConstantOfShape of 10^10 elements (onnxruntime printed coloured warnings first)",
      model(
        [
          { opType: "ConstantOfShape", input: ["shape"], output: ["big"], name: "/big" },
          { opType: "ReduceSum", input: ["big"], output: ["s"], name: "/sum" },
          { opType: "Add", input: ["x", "s"], output: ["y"], name: "/add" },
        ],
        [int64("shape", [1e10])],
      ),
      `node "/big" (ConstantOfShape) declares 10000000000 elements, more than the limit of 134217728`,
    ],
    [
      "a constant without values (refused by onnxruntime itself, which logged it in red)",
      model([
        {
          opType: "Constant",
          output: ["c"],
          name: "/c",
          attribute: [{ name: "value", type: 4, t: { dims: [1], dataType: 1 } }],
        },
        { opType: "Add", input: ["x", "c"], output: ["y"], name: "/add" },
      ]),
      "in onnxruntime: ValidateEmbeddedTensorProtoDataSizeAndShape Initializer 'c': data field count (0) does not match expected count from shape (1)",
    ],
  ];
  for (const [name, bytes, message] of cases) {
    await t.step(name, async () => {
      const path = `${dir}/m.onnx`;
      await Deno.writeFile(path, bytes);
      const r = await partials(
        "forward",
        "--quiet",
        "--model",
        path,
        "--inputs",
        SEED.inputs,
        "--out",
        `${dir}/y.csv`,
      );
      assertOneLineError(r, 1, `${path}`);
      assertOneLineError(r, 1, message);
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    });
  }
});
