import { assertEquals } from "../_assert.ts";
import { join } from "node:path";
import { folderNames, freeFolder } from "../../lib/io/folder_names.ts";

Deno.test("folderNames() tells models named model.onnx apart by their folders", async (t) => {
  await t.step("distinct parents", () => {
    assertEquals(
      folderNames(["runs/fastkan/model.onnx", "runs/mlp/model.onnx", "effkan.onnx"]),
      ["fastkan", "mlp", "effkan"],
    );
  });
  await t.step("same parent names go one folder further up", () => {
    assertEquals(
      folderNames(["a/seed1/model.onnx", "b/seed1/model.onnx", "c/seed2/model.onnx"]),
      ["a_seed1", "b_seed1", "seed2"],
    );
  });
  await t.step("the same file twice is numbered", () => {
    assertEquals(folderNames(["x/model.onnx", "x/model.onnx"]), ["x", "x-2"]);
  });
  await t.step("characters a folder name should not have become dashes", () => {
    assertEquals(folderNames(["my runs/net v2.onnx"]), ["net-v2"]);
  });
});

Deno.test("freeFolder() never reuses a folder that holds another model's results", async () => {
  const out = await Deno.makeTempDir();
  try {
    assertEquals(await freeFolder(out, "model", "/a/model.onnx"), join(out, "model"));
    await Deno.mkdir(join(out, "model"));
    await Deno.writeTextFile(
      join(out, "model", "metrics.json"),
      JSON.stringify({ model: "/a/model.onnx" }),
    );
    // The same model's earlier results are replaced, another model's are kept.
    assertEquals(await freeFolder(out, "model", "/a/model.onnx"), join(out, "model"));
    assertEquals(await freeFolder(out, "model", "/b/model.onnx"), join(out, "model-2"));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
