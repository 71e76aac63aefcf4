import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { buildTfModel } from "../../lib/graph/tf_model.ts";
import { sobolevLoss } from "../../lib/refit/loss.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { MLP, tinyMlp } from "./_tiny.ts";

/** float32 loss vs a float64 hand computation, relative. */
const LOSS_RTOL = { float32: 1e-5 } as const;
/** float32 reverse-mode gradient vs float64 central differences, relative to the largest entry. */
const GRADIENT_RTOL = { float32: 2e-3 } as const;

const X = [[0.2, 0.7], [0.9, 0.1], [0.5, 0.5], [0.05, 0.95]];
const Y = [[0.3, 0.1], [0.6, -0.2], [0.2, 0.4], [0.0, 0.5]];
const T = X.map((_, k) => [[0.5 + k * 0.1, -0.3], [0.2, 0.8 - k * 0.2]]); // [N, m, n]
const W = [[2, 0.5], [1, 4]]; // entry weights [m, n]

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Float64 loss of the tiny MLP with first-layer weights `w1` ([2, 3] row-major). */
function loss64(w1: readonly number[], lambda: number): { value: number; jacobian: number } {
  let value = 0;
  let jacobian = 0;
  for (let k = 0; k < X.length; k++) {
    const x = X[k]!;
    const z = [0, 1, 2].map((h) => x[0]! * w1[h]! + x[1]! * w1[3 + h]! + MLP.b1[h]!);
    const s = z.map(sigmoid);
    for (let i = 0; i < 2; i++) {
      const y = s.reduce((a, sh, h) => a + sh * MLP.w2[h * 2 + i]!, 0);
      value += (y - Y[k]![i]!) ** 2 / (X.length * 2);
      for (let j = 0; j < 2; j++) {
        // ∂y_i/∂x_j = Σ_h w2[h, i] σ'(z_h) w1[j, h]
        const d = s.reduce(
          (a, sh, h) => a + MLP.w2[h * 2 + i]! * sh * (1 - sh) * w1[j * 3 + h]!,
          0,
        );
        jacobian += W[i]![j]! * (d - T[k]![i]![j]!) ** 2 / (X.length * 4);
      }
    }
  }
  return { value, jacobian: lambda === 0 ? 0 : jacobian };
}

function tfLoss(lambda: number, w1?: tf.Tensor) {
  const model = buildTfModel(tinyMlp());
  try {
    return tf.tidy(() => {
      const overrides = new Map(w1 ? [["w1", w1]] : []);
      const l = sobolevLoss((x) => model.apply(x, overrides), {
        x: tf.tensor2d(X),
        y: tf.tensor2d(Y),
        jacobian: tf.tensor3d(T),
      }, { lambda, entryWeights: tf.tensor2d(W) });
      return {
        total: l.total.dataSync()[0]!,
        value: l.value.dataSync()[0]!,
        jac: l.jacobian.dataSync()[0]!,
      };
    });
  } finally {
    model.dispose();
  }
}

Deno.test("sobolevLoss() with λ = 0 equals the plain value MSE of a hand computation", async () => {
  await initTf();
  const want = loss64(MLP.w1, 0).value;
  const got = tfLoss(0);
  assertAlmostEquals(got.total, want, LOSS_RTOL.float32 * want);
  assertEquals(got.jac, 0);
});

Deno.test("sobolevLoss() Jacobian term equals the hand-derived weighted Jacobian MSE", async () => {
  await initTf();
  const want = loss64(MLP.w1, 1);
  const got = tfLoss(0.5);
  assertAlmostEquals(got.jac, want.jacobian, LOSS_RTOL.float32 * want.jacobian);
  const total = want.value + 0.5 * want.jacobian;
  assertAlmostEquals(got.total, total, LOSS_RTOL.float32 * total);
});

Deno.test("sobolevLoss() gradient through the Jacobian term matches float64 central differences", async () => {
  await initTf();
  const lambda = 2;
  const model = buildTfModel(tinyMlp());
  const grad = tf.tidy(() => {
    const g = tf.grad((w: tf.Tensor) =>
      sobolevLoss((x) => model.apply(x, new Map([["w1", w]])), {
        x: tf.tensor2d(X),
        y: tf.tensor2d(Y),
        jacobian: tf.tensor3d(T),
      }, { lambda, entryWeights: tf.tensor2d(W) }).total
    )(tf.tensor2d(MLP.w1, [2, 3]));
    return Array.from(g.dataSync());
  });
  model.dispose();
  const h = 1e-6;
  const fd = MLP.w1.map((_, e) => {
    const plus = [...MLP.w1];
    const minus = [...MLP.w1];
    plus[e]! += h;
    minus[e]! -= h;
    const lp = loss64(plus, lambda);
    const lm = loss64(minus, lambda);
    return (lp.value + lambda * lp.jacobian - lm.value - lambda * lm.jacobian) / (2 * h);
  });
  // The Jacobian term must matter here, or the test would not test it.
  const fdValueOnly = MLP.w1.map((_, e) => {
    const plus = [...MLP.w1];
    const minus = [...MLP.w1];
    plus[e]! += h;
    minus[e]! -= h;
    return (loss64(plus, 0).value - loss64(minus, 0).value) / (2 * h);
  });
  const scale = Math.max(...fd.map(Math.abs));
  const valueGap = Math.max(...fd.map((v, e) => Math.abs(v - fdValueOnly[e]!)));
  if (!(valueGap > 0.1 * scale)) throw new Error("the Jacobian term hardly changes the gradient");
  for (let e = 0; e < fd.length; e++) {
    assertAlmostEquals(grad[e]!, fd[e]!, GRADIENT_RTOL.float32 * scale);
  }
});

Deno.test("sobolevLoss() refuses λ > 0 without Jacobian targets and a negative λ", async () => {
  await initTf();
  const x = tf.tensor2d(X);
  const y = tf.tensor2d(Y);
  assertThrows(() => sobolevLoss((v) => v, { x, y }, { lambda: 1 }), TypeError, "Jacobian targets");
  assertThrows(() => sobolevLoss((v) => v, { x, y }, { lambda: -1 }), RangeError, "λ -1");
  tf.dispose([x, y]);
});
