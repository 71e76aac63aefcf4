/**
 * The export corpus (tests/testdata/corpus, made by scripts/pytorch/make_corpus.py
 * with real PyTorch): small MLPs and KANs, each exported with torch's defaults
 * (`default.onnx`, batch 1 in the graph) and with a dynamic batch axis at opset 17
 * (`dynamic.onnx`). For every model × export, at the oracle's 200 points: both
 * forward engines, autodiff and finite-difference Jacobians against PyTorch's
 * float64 values, the state_dict map, the perturbed state_dict through
 * `--weights`, and the three-way check. The CLI runs in a subprocess for one
 * static-batch export, each command once.
 *
 * @module
 */
import { join } from "node:path";
import { checkModel } from "../../lib/check/check.ts";
import { type Oracle, readOracle } from "../../lib/check/oracle.ts";
import { compareJacobians } from "../../lib/compare/jacobians.ts";
import { compareValues } from "../../lib/compare/values.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import type { Jacobians } from "../../lib/jacobian/types.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import { loadReference } from "../../lib/reference/load.ts";
import { loadSurrogate, type Surrogate } from "../../lib/surrogate/surrogate.ts";
import { initTf } from "../../lib/tf/backend.ts";
import { loadStateDict } from "../../lib/weights/load.ts";
import { mapStateDict } from "../../lib/weights/map.ts";
import { assert, assertEquals, assertLessOrEqual, assertStringIncludes } from "../_assert.ts";
import { SEED } from "../_bundled.ts";
import { MAIN, partialsIn } from "../cli/_partials.ts";

const CORPUS = new URL("../testdata/corpus/", import.meta.url).pathname;
const VERIFY = new URL("../../scripts/verify.ts", import.meta.url).pathname;

/** Runs a deno script in a subprocess, as a user would. */
const run = (script: string, ...args: string[]) => partialsIn({ script }, ...args);

/** Every model × export of the corpus (its README lists each graph). */
const CASES: readonly (readonly [model: string, exported: "default.onnx" | "dynamic.onnx"])[] = [
  "fastkan",
  "effkan",
  "fourierkan",
  "chebykan",
  "mlp_silu_layernorm_residual",
  "mlp_tanh_batchnorm_dropout",
  "mlp_gelu_softplus",
].flatMap((model) => [[model, "default.onnx"], [model, "dynamic.onnx"]] as const);

/**
 * The static-batch export (`torch.onnx.export(model, torch.randn(1, 4), path)`, its
 * Reshape targets carrying the batch size 1) every CLI command runs on.
 */
const CLI_CASE = ["fastkan", "default.onnx"] as const;

/**
 * Tolerances against PyTorch, as fractions of each output's (forward) or each
 * Jacobian entry's (Jacobians) range over the 200 points: float32 forwards vs
 * PyTorch, float32 reverse mode vs PyTorch's float64 autograd, and float64 central
 * differences (step ε^(1/3) of each input's range, truncation error ~1e-6) vs the same.
 */
const TOL = { forward: 1e-5, autodiff: 1e-4, finiteDifferences: 1e-3 } as const;

function paths(model: string, exported: string) {
  const dir = join(CORPUS, model);
  return {
    onnx: join(dir, exported),
    pth: join(dir, "model.pth"),
    perturbed: join(dir, "model_perturbed.pth"),
    scaling: join(dir, "scaling.csv"),
    oracle: join(dir, "oracle.json"),
  };
}

interface PerturbedOracle {
  perturbed: { outputs_physical: number[][]; jacobian_physical: number[][][] };
}

/** Worst range-normalized error of the forward over outputs. */
async function forwardError(
  s: Surrogate,
  o: Oracle,
  engine: "ort" | "tf",
  expected: readonly (readonly number[])[] = o.outputs_physical,
): Promise<number> {
  const x = Float64Array.from(o.points_physical.flat());
  const y = await s.predict(x, { engine });
  const cmp = compareValues(y, Float64Array.from(expected.flat()), {
    points: o.points_physical.length,
    names: s.outputs,
  });
  return cmp.worstRangeNormalized.value;
}

/** Worst range-normalized error of the Jacobian over entries. */
async function jacobianError(
  s: Surrogate,
  o: Oracle,
  method: "autodiff" | "fd",
  expected: readonly (readonly (readonly number[])[])[] = o.jacobian_physical,
): Promise<number> {
  const x = Float64Array.from(o.points_physical.flat());
  const ref: Jacobians = {
    points: o.points_physical.length,
    outputs: s.outputs,
    inputs: s.inputs,
    values: Float64Array.from(expected.flat(2)),
  };
  return compareJacobians(await s.jacobian(x, { method }), ref).worstRangeNormalized.value;
}

await initTf();
const reference = await loadReference(SEED.equations);

for (const [model, exported] of CASES) {
  Deno.test(`corpus ${model}/${exported}: forwards, Jacobians, weights and check reproduce PyTorch at 200 points`, async (t) => {
    const p = paths(model, exported);
    const oracle = await readOracle(p.oracle);
    const perturbedOracle = oracle as unknown as PerturbedOracle;
    const x = Float64Array.from(oracle.points_physical.flat());

    await t.step(
      "the state_dict maps onto the graph: no key unmapped, no initializer unmatched",
      async () => {
        const map = mapStateDict(await loadOnnxModel(p.onnx), await loadStateDict(p.pth));
        assertEquals(map.keys.filter((k) => k.relation === "unmapped").map((k) => k.key), []);
        assertEquals(
          map.initializers.filter((i) => i.source.kind === "unmatched").map((i) => i.name),
          [],
        );
      },
    );

    const surrogate = await loadSurrogate(p.onnx, { scaling: p.scaling });
    try {
      for (const engine of ["ort", "tf"] as const) {
        await t.step(`forward, ${engine} ≤ ${TOL.forward} of each output's range`, async () => {
          assertLessOrEqual(await forwardError(surrogate, oracle, engine), TOL.forward);
        });
      }
      await t.step(`Jacobian, autodiff ≤ ${TOL.autodiff} of each entry's range`, async () => {
        assertLessOrEqual(await jacobianError(surrogate, oracle, "autodiff"), TOL.autodiff);
      });
      await t.step(`Jacobian, fd ≤ ${TOL.finiteDifferences} of each entry's range`, async () => {
        assertLessOrEqual(await jacobianError(surrogate, oracle, "fd"), TOL.finiteDifferences);
      });
      await t.step("checkModel(): scaling consistent and differentiation correct", async () => {
        const result = await checkModel(surrogate, reference, x);
        assert(result.verdict.scalingConsistent, result.verdict.diagnosis);
        assert(result.verdict.differentiationCorrect, result.verdict.diagnosis);
      });
    } finally {
      await surrogate.dispose();
    }

    await t.step(
      "the perturbed state_dict reproduces PyTorch's perturbed forward and Jacobian",
      async () => {
        const perturbed = await loadSurrogate(p.onnx, { scaling: p.scaling, weights: p.perturbed });
        try {
          const expected = perturbedOracle.perturbed;
          assertLessOrEqual(
            await forwardError(perturbed, oracle, "ort", expected.outputs_physical),
            TOL.forward,
          );
          assertLessOrEqual(
            await jacobianError(perturbed, oracle, "autodiff", expected.jacobian_physical),
            TOL.autodiff,
          );
        } finally {
          await perturbed.dispose();
        }
      },
    );
  });
}

/** The columns after the `n` input columns of a results CSV, row-major. */
async function resultColumns(path: string, n: number): Promise<Float64Array> {
  const table = await readNumericCsv(path);
  const width = table.columns.length - n;
  const out = new Float64Array(table.rows * width);
  for (let k = 0; k < table.rows; k++) {
    out.set(
      table.data.subarray(k * table.columns.length + n, (k + 1) * table.columns.length),
      k * width,
    );
  }
  return out;
}

Deno.test(`corpus ${CLI_CASE.join("/")}: every CLI command succeeds on the static-batch export`, async (t) => {
  const p = paths(...CLI_CASE);
  const oracle = await readOracle(p.oracle);
  const perturbed = (oracle as unknown as PerturbedOracle).perturbed;
  const points = oracle.points_physical.length;
  const dir = await Deno.makeTempDir();
  const common = ["--model", p.onnx, "--inputs", SEED.inputs, "--scaling", p.scaling];
  const ok = (r: { code: number; stderr: string }) => assertEquals(r.code, 0, r.stderr);
  const csvJacobianError = async (
    path: string,
    expected: readonly (readonly (readonly number[])[])[],
  ) =>
    compareJacobians(
      {
        points,
        outputs: oracle.outputs,
        inputs: oracle.inputs,
        values: await resultColumns(path, 4),
      },
      {
        points,
        outputs: oracle.outputs,
        inputs: oracle.inputs,
        values: Float64Array.from(expected.flat(2)),
      },
    ).worstRangeNormalized.value;
  try {
    await t.step("inspect --weights maps every key of the perturbed state_dict", async () => {
      const r = await run(MAIN, "inspect", p.onnx, "--weights", p.perturbed);
      ok(r);
      assertStringIncludes(r.stdout, "100.0% of state_dict keys mapped onto the graph");
    });
    for (const engine of ["ort", "tf"]) {
      await t.step(`forward --engine ${engine} matches PyTorch`, async () => {
        const out = `${dir}/y_${engine}.csv`;
        ok(await run(MAIN, "forward", ...common, "--engine", engine, "--out", out));
        const cmp = compareValues(
          await resultColumns(out, 4),
          Float64Array.from(oracle.outputs_physical.flat()),
          { points, names: oracle.outputs },
        );
        assertLessOrEqual(cmp.worstRangeNormalized.value, TOL.forward);
      });
    }
    await t.step("jacobian --method fd matches PyTorch", async () => {
      const out = `${dir}/j_fd.csv`;
      ok(await run(MAIN, "jacobian", ...common, "--method", "fd", "--out", out));
      assertLessOrEqual(
        await csvJacobianError(out, oracle.jacobian_physical),
        TOL.finiteDifferences,
      );
    });
    await t.step(
      "jacobian --method autodiff --weights (perturbed) matches PyTorch's perturbed Jacobian",
      async () => {
        const out = `${dir}/j_ad.csv`;
        const args = ["--method", "autodiff", "--weights", p.perturbed, "--out", out];
        ok(await run(MAIN, "jacobian", ...common, ...args));
        assertLessOrEqual(await csvJacobianError(out, perturbed.jacobian_physical), TOL.autodiff);
      },
    );
    await t.step("check writes its outputs", async () => {
      ok(await run(MAIN, "check", ...common, "--reference", SEED.equations, "--out", `${dir}/c`));
      assert((await Deno.stat(`${dir}/c/metrics.json`)).isFile);
    });
    await t.step("verify --model finds the oracle beside it and is consistent", async () => {
      const r = await run(VERIFY, ...common, "--reference", SEED.equations, "--out", `${dir}/v`);
      ok(r);
      assertStringIncludes(r.stdout, "PyTorch parity at the oracle's 200 points");
      assertStringIncludes(r.stdout, "1 of 1 models consistent");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
