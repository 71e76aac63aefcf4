import { compareJacobians } from "../../lib/compare/jacobians.ts";
import { compareValues } from "../../lib/compare/values.ts";
import { denormalizeJacobian } from "../../lib/jacobian/chain_rule.ts";
import { computeJacobian } from "../../lib/jacobian/autodiff.ts";
import { makeJacobians } from "../../lib/jacobian/types.ts";
import { loadSurrogate } from "../../lib/surrogate/surrogate.ts";
import { tf } from "../../lib/tf/backend.ts";
import { normalize } from "../../lib/scaling/scaler.ts";
import { assertEquals, assertLessOrEqual } from "../_assert.ts";
import { BUNDLED_MODELS, bundledPaths, flat, readOracle } from "../_bundled.ts";

/** Issue tolerances, as fractions of each entry's (or output's) range over the points. */
const TOL = {
  /** float32 autodiff vs PyTorch's float64 autograd. */
  autodiffVsOracle: 1e-4,
  /** float64 central differences (onnxruntime float64 copy) vs PyTorch float64. */
  finiteDifferencesVsOracle: 1e-3,
  /** float32 forward (onnxruntime or tfjs) vs PyTorch float32. */
  forwardVsOracle: 1e-5,
  /**
   * Chain rule applied to the normalized float32 Jacobian vs composed float32 autodiff,
   * relative to each output row's largest |J|. Loosened from 1e-6: the two are separate
   * float32 backward passes (the composed one is seeded with 1/scale_out, which changes every
   * rounding), so they differ by the Jacobian's own float32 noise, measured at 1.2e-6 for
   * FastKAN. In float64 (PyTorch's oracle) the two agree to 1e-12: see tests/jacobian.
   */
  chainRuleVsComposed: 1e-5,
};

for (const name of BUNDLED_MODELS) {
  Deno.test(`Surrogate matches PyTorch's float64 Jacobians and float32 outputs for the bundled ${name}`, async (t) => {
    const paths = bundledPaths(name);
    const oracle = await readOracle(name);
    const model = await loadSurrogate(paths.onnx, { scaling: paths.scaling });
    const x = flat(oracle.points_physical);
    const points = oracle.points_physical.length;
    const names = { outputs: model.outputs, inputs: model.inputs, points };
    const pytorch = makeJacobians(flat(oracle.jacobian_physical), names);
    try {
      await t.step(
        "autodiff through the composition vs oracle (≤ 1e-4 of each entry's range)",
        async () => {
          const cmp = compareJacobians(await model.jacobian(x), pytorch);
          assertLessOrEqual(cmp.worstRangeNormalized.value, TOL.autodiffVsOracle);
        },
      );
      await t.step(
        "float64 finite differences vs oracle (≤ 1e-3 of each entry's range)",
        async () => {
          const cmp = compareJacobians(await model.jacobian(x, { method: "fd" }), pytorch);
          assertLessOrEqual(cmp.worstRangeNormalized.value, TOL.finiteDifferencesVsOracle);
        },
      );
      await t.step(
        "chain rule on the normalized Jacobian vs composed autodiff (≤ 1e-5 of the row scale, float32)",
        async () => {
          const tfModel = await model.tfModel();
          // The same float64 normalization the surrogate applies before the model.
          const xn = normalize(model.scaling.inputs, x);
          const jNorm = computeJacobian((v) => tfModel.apply(v), xn, { ...names, inputWidth: 4 });
          const chain = denormalizeJacobian(jNorm, model.scaling);
          const composed = await model.jacobian(x);
          const cmp = compareJacobians(composed, chain);
          const worst = cmp.worstRowNormalized.value;
          assertLessOrEqual(worst, TOL.chainRuleVsComposed);
        },
      );
      await t.step(
        "onnxruntime and tfjs forwards vs PyTorch float32 outputs (≤ 1e-5 of range)",
        async () => {
          const expected = flat(oracle.outputs_physical);
          for (const engine of ["ort", "tf"] as const) {
            const y = await model.predict(x, { engine });
            const cmp = compareValues(y, expected, { points, names: model.outputs });
            for (const o of cmp.outputs) {
              assertLessOrEqual(o.rangeNormalizedError, TOL.forwardVsOracle);
            }
          }
        },
      );
    } finally {
      await model.dispose();
    }
  });
}

Deno.test("loadSurrogate() with --weights model_perturbed.{pth,safetensors} reproduces the perturbed PyTorch model", async () => {
  for (const name of BUNDLED_MODELS) {
    const paths = bundledPaths(name);
    const oracle = await readOracle(name);
    const x = flat(oracle.points_physical);
    const points = oracle.points_physical.length;
    for (const weights of [paths.perturbedPth, paths.perturbedSafetensors]) {
      const model = await loadSurrogate(paths.onnx, { scaling: paths.scaling, weights });
      try {
        assertEquals(model.weights?.path, weights);
        const expected = flat(oracle.perturbed.outputs_physical);
        for (const engine of ["ort", "tf"] as const) {
          const cmp = compareValues(await model.predict(x, { engine }), expected, {
            points,
            names: model.outputs,
          });
          for (const o of cmp.outputs) {
            assertLessOrEqual(o.rangeNormalizedError, TOL.forwardVsOracle);
          }
        }
        const jac = compareJacobians(
          await model.jacobian(x),
          makeJacobians(flat(oracle.perturbed.jacobian_physical), {
            points,
            outputs: model.outputs,
            inputs: model.inputs,
          }),
        );
        assertLessOrEqual(jac.worstRangeNormalized.value, TOL.autodiffVsOracle);
      } finally {
        await model.dispose();
      }
    }
  }
});

Deno.test("Surrogate Jacobians leave tfjs memory flat over repeated calls", async () => {
  const paths = bundledPaths("fastkan");
  const model = await loadSurrogate(paths.onnx, { scaling: paths.scaling });
  try {
    const x = flat((await readOracle("fastkan")).points_physical);
    await model.jacobian(x); // builds the tfjs model: its parameters stay allocated
    const before = tf.memory();
    for (let i = 0; i < 20; i++) {
      await model.jacobian(x);
      await model.predict(x, { engine: "tf" });
    }
    const after = tf.memory();
    assertEquals(after.numTensors, before.numTensors);
    assertEquals(after.numBytes, before.numBytes);
  } finally {
    await model.dispose();
  }
});
