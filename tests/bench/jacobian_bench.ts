/**
 * Does batching the Jacobian pay? `computeJacobian` (one backward pass per
 * output over all N points) against a per-sample loop (one backward pass per
 * output and point) on an MLP-like function 4 -> 30 -> 30 -> 4, N = 200.
 *
 * @module
 */
import { initTf, tf } from "../../lib/tf/backend.ts";
import { computeJacobian } from "../../lib/jacobian/autodiff.ts";

await initTf();

const N = 200;
const WIDTHS = [4, 30, 30, 4];

// Fixed pseudo-random weights and points (inputs built outside the benchmarks).
let state = 12345;
const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
const weights = WIDTHS.slice(1).map((out, l) => ({
  w: tf.keep(tf.tensor2d(Float32Array.from({ length: WIDTHS[l]! * out }, next), [WIDTHS[l]!, out])),
  b: tf.keep(tf.tensor1d(Float32Array.from({ length: out }, next))),
}));
const x = Float64Array.from({ length: N * 4 }, () => next() + 0.5);

const mlp = (input: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(() => {
    let h: tf.Tensor2D = input;
    weights.forEach(({ w, b }, l) => {
      const z = tf.add(tf.matMul(h, w), b) as tf.Tensor2D;
      h = l < weights.length - 1 ? tf.mul(z, tf.sigmoid(z)) : z; // SiLU hidden layers
    });
    return h;
  });

Deno.bench("per-sample loop (N x m backward passes)", { group: "jacobian", baseline: true }, () => {
  const out = new Float64Array(N * 16);
  for (let k = 0; k < N; k++) {
    const rows = tf.tidy(() => {
      const xk = tf.tensor2d(Float32Array.from(x.subarray(4 * k, 4 * k + 4)), [1, 4]);
      const blocks = [0, 1, 2, 3].map((i) =>
        tf.grad((v: tf.Tensor) => tf.sum(mlp(v as tf.Tensor2D).slice([0, i], [1, 1])))(xk)
      );
      return tf.concat(blocks, 0).dataSync();
    });
    out.set(rows, 16 * k);
  }
});

Deno.bench("computeJacobian batched (m backward passes)", { group: "jacobian" }, () => {
  computeJacobian(mlp, x, { points: N, inputWidth: 4 });
});
