import { assertAlmostEquals } from "../_assert.ts";
import { enableSecondOrderGradients } from "../../lib/refit/second_order.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";

/** float32 second derivative vs the analytic float64 value, absolute (values are O(1)). */
const SECOND_DERIVATIVE_ATOL = { float32: 1e-5 } as const;

Deno.test("enableSecondOrderGradients() gives exact second derivatives of sigmoid, exp and tanh", async () => {
  await initTf();
  enableSecondOrderGradients();
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const cases: [string, (x: tf.Tensor) => tf.Tensor, (x: number) => number][] = [
    ["sigmoid", tf.sigmoid, (x) => sig(x) * (1 - sig(x)) * (1 - 2 * sig(x))],
    ["exp", tf.exp, Math.exp],
    ["tanh", tf.tanh, (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2)],
  ];
  for (const [name, f, d2] of cases) {
    for (const x of [-1.3, 0.4, 2.1]) {
      // through a weight, as in training: d/dw of (d/dx f(w·x)) = f'(wx) + w·x·f''(wx), at w = 1
      const got = tf.tidy(() =>
        tf.grad((w: tf.Tensor) =>
          tf.grad((v: tf.Tensor) => f(tf.mul(w, v)))(tf.scalar(x)) as tf.Scalar
        )(tf.scalar(1)).dataSync()[0]!
      );
      const h = 1e-6;
      const d1 = (t: number) => {
        if (name === "sigmoid") return sig(t) * (1 - sig(t));
        if (name === "exp") return Math.exp(t);
        return 1 - Math.tanh(t) ** 2;
      };
      const want = d1(x) + x * d2(x);
      assertAlmostEquals(got, want, SECOND_DERIVATIVE_ATOL.float32, `${name} at ${x}`);
      // the analytic f'' agrees with float64 differences of f'
      assertAlmostEquals(d2(x), (d1(x + h) - d1(x - h)) / (2 * h), 1e-6);
    }
  }
});
