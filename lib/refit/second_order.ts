/**
 * Second-order reverse mode in TensorFlow.js.
 *
 * tfjs-core 4.22 saves a kernel's *outputs* for its gradient by cloning them
 * before the kernel's own tape node is recorded, so when a gradient is itself
 * differentiated (`tf.grad` inside `tf.grad` or `tf.variableGrads`), the path
 * through a saved output is pruned and treated as a constant. `Sigmoid`
 * (`dy·y·(1 − y)`), `Exp` (`dy·y`) and `Tanh` (`dy·(1 − y²)`) are affected: the
 * second derivative of `σ(w·x)` with respect to `w` comes out without the
 * `σ''` term. {@linkcode enableSecondOrderGradients} re-registers the
 * gradients of these kernels in terms of their saved *input* (recomputing
 * the output in the backward pass), which tfjs connects correctly. The first
 * derivatives are the same values bit for bit (the recomputed output equals
 * the saved one); only the backward pass does one more elementwise op.
 *
 * @module
 */
import { tf } from "../tf/backend.ts";

let enabled = false;

/**
 * Makes the gradients of `Sigmoid`, `Exp` and `Tanh` differentiable again
 * (see the module doc). Global and idempotent.
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "../tf/backend.ts";
 * import { enableSecondOrderGradients } from "./second_order.ts";
 * await initTf();
 * enableSecondOrderGradients();
 * // d²/dx² e^x at x = 0 is 1
 * const d2 = tf.tidy(() =>
 *   tf.grad((x: tf.Tensor) => tf.grad((v: tf.Tensor) => tf.exp(v))(x))(tf.scalar(0)).dataSync()[0]
 * );
 * if (Math.abs(d2! - 1) > 1e-6) throw new Error(`second derivative ${d2}`);
 * ```
 */
export function enableSecondOrderGradients(): void {
  if (enabled) return;
  enabled = true;
  const unary = (
    kernelName: string,
    derivative: (x: tf.Tensor) => tf.Tensor,
  ) =>
    tf.registerGradient({
      kernelName,
      inputsToSave: ["x"],
      gradFunc: (dy, saved) => {
        const [x] = saved;
        return { x: () => tf.mul(dy as tf.Tensor, derivative(x!)) };
      },
    });
  unary("Sigmoid", (x) => {
    const s = tf.sigmoid(x);
    return tf.mul(s, tf.sub(1, s));
  });
  unary("Exp", (x) => tf.exp(x));
  unary("Tanh", (x) => tf.sub(1, tf.square(tf.tanh(x))));
}
