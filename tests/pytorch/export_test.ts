/**
 * The PyTorch companion's `--factory` path (`scripts/pytorch/export.py`), from what it wrote
 * for two models it could not export before (`tests/testdata/export/make_factory_exports.py`):
 * a Fourier-series KAN whose layers hold their widths as `inputdim` (no `in_features`, no
 * `nn.Linear`) and a Chebyshev KAN with a `LayerNorm` of the hidden width between its layers.
 * Neither gives its width: the companion finds it by running the model. The exports must
 * reproduce the oracles PyTorch wrote beside them, also with the perturbed weights.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { checkOracleParity, readOracle } from "../../lib/check/oracle.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";

const DIR = new URL("../testdata/export/", import.meta.url).pathname;

interface PerturbedOracle {
  perturbed: { outputs_physical: number[][]; jacobian_physical: number[][][] };
}

Deno.test("export.py --factory exports KANs that give no width; the ONNX reproduces PyTorch, also with perturbed weights", async (t) => {
  for (const name of ["fourier", "fourier_shape", "chebyshev"]) {
    await t.step(name, async () => {
      const oracle = await readOracle(`${DIR}${name}/oracle.json`);
      assertEquals(oracle.inputs, ["x1", "x2", "x3", "x4"]);
      assertEquals(oracle.outputs.length, 4);
      const perturbed =
        (JSON.parse(await Deno.readTextFile(`${DIR}${name}/oracle.json`)) as PerturbedOracle)
          .perturbed;
      for (
        const [weights, expected] of [
          [undefined, oracle],
          [`${DIR}${name}/model_perturbed.pth`, {
            ...oracle,
            outputs_physical: perturbed.outputs_physical,
            jacobian_physical: perturbed.jacobian_physical,
          }],
        ] as const
      ) {
        // The perturbed weights are mapped through the folded coefficient slices (Fourier)
        // and the integer degrees cast to float (Chebyshev), with model.pth beside the export.
        const surrogate = await loadSurrogate(`${DIR}${name}/model.onnx`, {
          scaling: `${DIR}${name}/scaling.csv`,
          ...(weights ? { weights } : {}),
        });
        try {
          const parity = await checkOracleParity(surrogate, expected);
          for (
            const m of [
              parity.forwardOrt,
              parity.forwardTf,
              parity.autodiff,
              parity.finiteDifferences,
            ]
          ) {
            assert(m.pass, `${weights ?? "exported"}: ${m.value} > ${m.tolerance} (${m.where})`);
          }
        } finally {
          await surrogate.dispose();
        }
      }
    });
  }
});

Deno.test("export.py refuses a width the model does not take and a short scaling file, saying what it ran", async () => {
  const messages = JSON.parse(await Deno.readTextFile(`${DIR}messages.json`));
  const width = messages.input_width_3;
  assertEquals(width.code, 1);
  assertStringIncludes(width.stderr, "does not run on an example input of shape [8, 3]");
  assertStringIncludes(width.stderr, "--input-width N or --example-shape B,N");
  const short = messages.scaling_one_row_short;
  assertEquals(short.code, 1);
  assertStringIncludes(short.stderr, "has 7 rows (inputs, then outputs)");
  assertStringIncludes(short.stderr, "n = 4 gives m = 4 (8 rows)");
  for (const m of [width, short]) {
    assertEquals(m.stderr.split("\n").length, 1);
    assert(!m.stderr.includes("cannot tell the input width"), m.stderr);
  }
});
