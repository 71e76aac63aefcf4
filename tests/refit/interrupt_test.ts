import { join } from "node:path";
import { assertEquals, assertLess } from "../_assert.ts";
import { bundledPaths, SEED } from "../_bundled.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";
import { loadStateDict } from "../../lib/weights/load.ts";
import { coverage, mapStateDict } from "../../lib/weights/map.ts";

const CLI = new URL("../../lib/cli/main.ts", import.meta.url).pathname;

Deno.test("partials refit on SIGINT mid-run writes complete, loadable best-so-far files and exits 130", async () => {
  const p = bundledPaths("fastkan");
  const dir = await Deno.makeTempDir();
  try {
    const samples = join(dir, "samples.csv");
    const text = await Deno.readTextFile(SEED.samples);
    await Deno.writeTextFile(samples, text.split("\n").slice(0, 61).join("\n") + "\n");
    const out = join(dir, "out");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        CLI,
        "refit",
        "--model",
        p.onnx,
        "--scaling",
        p.scaling,
        "--reference",
        SEED.equations,
        "--samples",
        samples,
        "--epochs",
        "100000",
        "--budget",
        "10m",
        "--out",
        out,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Wait for the third epoch line (piped: plain lines), then interrupt.
    const decoder = new TextDecoder();
    let log = "";
    const reader = child.stderr.getReader();
    while ((log.match(/^adam /gm) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      log += decoder.decode(value);
    }
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      log += decoder.decode(value);
    }
    const status = await child.status;
    await child.stdout.cancel();
    assertEquals(status.code, 130, log);
    assertEquals(/^interrupted: wrote the best weights so far/m.test(log), true, log);
    // Exactly the three files, no temporary leftovers.
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    assertEquals(names, ["model.onnx", "model.safetensors", "summary.json"]);
    const summary = JSON.parse(await Deno.readTextFile(join(out, "summary.json")));
    assertEquals(summary.status, "interrupted");
    assertEquals(summary.stopReason, "interrupted");
    assertLess(summary.adamEpochs, 100000);
    assertEquals(summary.history.length >= 3, true);
    // The safetensors has every original key and maps fully onto the refit ONNX; both load and run.
    const original = await loadStateDict(p.pth);
    const dict = await loadStateDict(join(out, "model.safetensors"));
    assertEquals([...dict.keys()], [...original.keys()]);
    const onnx = await loadOnnxModel(join(out, "model.onnx"));
    assertEquals(coverage(mapStateDict(onnx, dict)), 1);
    const model = await loadSurrogate(join(out, "model.onnx"), { scaling: p.scaling });
    const y = await model.predict(Float64Array.of(1, 1.5, 2, 1.2));
    await model.dispose();
    assertEquals(y.every(Number.isFinite), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
