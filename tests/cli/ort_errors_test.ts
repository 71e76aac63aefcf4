/**
 * Broken ONNX files through the CLI, as a user sees them: one line on standard
 * error naming the file (and the node), nothing from onnxruntime's own log.
 */
import onnxProto from "onnx-proto";
import { assertAlmostEquals, assertEquals, assertFalse } from "../_assert.ts";
import { SEED } from "../_bundled.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import { assertOneLineError, partials, partialsCsv } from "./_partials.ts";

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
      const r = await partials(...onSeedInputs(path, `${dir}/y.csv`, "forward"));
      assertOneLineError(r, 1, `${path}`);
      assertOneLineError(r, 1, message);
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    });
  }
});

Deno.test("a training-mode Dropout or BatchNormalization is refused in one line by every engine before any work; an inference-mode Dropout runs", async (t) => {
  const dir = await Deno.makeTempDir();
  const scalar = (name: string, dataType: number, value: number): onnxProto.onnx.ITensorProto => ({
    name,
    dims: [],
    dataType,
    ...(dataType === 1 ? { floatData: [value] } : { int32Data: [value] }),
  });
  const dropout = (training: number) =>
    model(
      [{ opType: "Dropout", input: ["x", "ratio", "train"], output: ["y"], name: "/drop/Dropout" }],
      [scalar("ratio", 1, 0.5), scalar("train", 9, training)],
    );
  const batchNorm = model(
    [{
      opType: "BatchNormalization",
      input: ["x", "s", "b", "m", "v"],
      output: ["y"],
      name: "/bn/BatchNormalization",
      attribute: [{ name: "training_mode", type: 2, i: 1 }],
    }],
    ["s", "b", "m", "v"].map((name) => ({ name, dims: [4], dataType: 1, floatData: [1, 1, 1, 1] })),
  );
  const dropoutSays =
    'node "/drop/Dropout" (Dropout): training_mode is true (random dropout with ratio 0.5) is not supported; export the model in inference mode';
  const batchNormSays =
    'node "/bn/BatchNormalization" (BatchNormalization): training_mode=1 (batch statistics) is not supported';
  const cases: [string, Uint8Array, string, string[]][] = [
    ["Dropout, forward --engine ort", dropout(1), dropoutSays, ["forward", "--engine", "ort"]],
    ["Dropout, forward --engine tf", dropout(1), dropoutSays, ["forward", "--engine", "tf"]],
    ["BatchNormalization, forward --engine ort", batchNorm, batchNormSays, ["forward"]],
    ["BatchNormalization, jacobian", batchNorm, batchNormSays, ["jacobian"]],
  ];
  for (const [name, bytes, says, command] of cases) {
    await t.step(name, async () => {
      const path = `${dir}/train.onnx`;
      const out = `${dir}/y.csv`;
      await Deno.writeFile(path, bytes);
      const r = await partials(...onSeedInputs(path, out, ...command));
      assertOneLineError(r, 1, `Cannot use ${path}: ${says}`);
      assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
      assertFalse(await Deno.stat(out).then(() => true, () => false), "nothing written");
    });
  }
  await t.step("inference-mode Dropout (training_mode false), forward --engine ort", async () => {
    const path = `${dir}/eval.onnx`;
    await Deno.writeFile(path, dropout(0));
    const args = [
      "forward",
      "--quiet",
      "--engine",
      "ort",
      "--model",
      path,
      "--inputs",
      SEED.inputs,
    ];
    const y = await partialsCsv(`${dir}/y.csv`, 4, ...args);
    const x = await readNumericCsv(SEED.inputs);
    assertEquals(y.values.length, x.data.length);
    // The identity, in float32: y = x to float32 precision.
    y.values.forEach((v, i) => assertAlmostEquals(v, x.data[i]!, 1e-6));
  });
});

/** `<command> --quiet --model <model> --inputs <seed inputs> --out <out>`. */
function onSeedInputs(model: string, out: string, ...command: string[]): string[] {
  return [...command, "--quiet", "--model", model, "--inputs", SEED.inputs, "--out", out];
}
