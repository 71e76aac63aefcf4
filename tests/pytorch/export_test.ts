/**
 * The PyTorch companion's `--factory` path (`scripts/pytorch/export.py`), from what it wrote
 * for two models it could not export before (`tests/testdata/export/make_factory_exports.py`):
 * a Fourier-series KAN whose layers hold their widths as `inputdim` (no `in_features`, no
 * `nn.Linear`) and a Chebyshev KAN with a `LayerNorm` of the hidden width between its layers.
 * Neither gives its width: the companion finds it by running the model. The exports must
 * reproduce the oracles PyTorch wrote beside them, also with the perturbed weights.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { checkOracleParity, PARITY_TOLERANCES, readOracle } from "../../lib/check/oracle.ts";
import { compareValues } from "../../lib/compare/values.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";

const DIR = new URL("../testdata/export/", import.meta.url).pathname;

interface PerturbedOracle {
  perturbed: { outputs_physical: number[][]; jacobian_physical: number[][][] };
}

Deno.test("export.py --factory exports a Fourier-series KAN without a width option; the ONNX reproduces PyTorch", async (t) => {
  for (const name of ["fourier", "fourier_shape"]) {
    await t.step(name, async () => {
      const oracle = await readOracle(`${DIR}${name}/oracle.json`);
      assertEquals(oracle.inputs, ["x1", "x2", "x3", "x4"]);
      const surrogate = await loadSurrogate(`${DIR}${name}/model.onnx`, {
        scaling: `${DIR}${name}/scaling.csv`,
      });
      try {
        const parity = await checkOracleParity(surrogate, oracle);
        for (const [what, m] of Object.entries(parity)) {
          if (typeof m === "number") continue;
          assert(m.pass, `${what} ${m.value} > ${m.tolerance} (${m.where})`);
        }
      } finally {
        await surrogate.dispose();
      }
      // The perturbed weights, mapped through the folded coefficient slices.
      const perturbed =
        (JSON.parse(await Deno.readTextFile(`${DIR}${name}/oracle.json`)) as PerturbedOracle)
          .perturbed;
      const moved = await loadSurrogate(`${DIR}${name}/model.onnx`, {
        scaling: `${DIR}${name}/scaling.csv`,
        weights: `${DIR}${name}/model_perturbed.pth`,
      });
      try {
        const parity = await checkOracleParity(moved, {
          ...oracle,
          outputs_physical: perturbed.outputs_physical,
          jacobian_physical: perturbed.jacobian_physical,
        });
        assert(
          parity.forwardOrt.value <= PARITY_TOLERANCES.forward,
          `ort ${parity.forwardOrt.value}`,
        );
        assert(
          parity.autodiff.value <= PARITY_TOLERANCES.autodiff,
          `autodiff ${parity.autodiff.value}`,
        );
      } finally {
        await moved.dispose();
      }
    });
  }
});

Deno.test("export.py --factory finds the input width of a Chebyshev KAN despite its hidden LayerNorm", async () => {
  const oracle = await readOracle(`${DIR}chebyshev/oracle.json`);
  assertEquals([oracle.inputs.length, oracle.outputs.length], [4, 4]);
  const perturbed =
    (JSON.parse(await Deno.readTextFile(`${DIR}chebyshev/oracle.json`)) as PerturbedOracle)
      .perturbed;
  const points = oracle.points_physical.length;
  const x = Float64Array.from(oracle.points_physical.flat());
  // onnxruntime only: the graph's Acos and Einsum are checked on the other engines by the op tests.
  for (
    const [weights, expected] of [
      [undefined, oracle.outputs_physical],
      [`${DIR}chebyshev/model_perturbed.pth`, perturbed.outputs_physical],
    ] as const
  ) {
    const surrogate = await loadSurrogate(`${DIR}chebyshev/model.onnx`, {
      scaling: `${DIR}chebyshev/scaling.csv`,
      ...(weights ? { weights } : {}),
    });
    try {
      const cmp = compareValues(await surrogate.predict(x), Float64Array.from(expected.flat()), {
        points,
        names: surrogate.outputs,
      });
      assert(
        cmp.worstRangeNormalized.value <= PARITY_TOLERANCES.forward,
        `${weights ?? "exported"}: ${cmp.worstRangeNormalized.value}`,
      );
    } finally {
      await surrogate.dispose();
    }
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
