import { assertLessOrEqual } from "../_assert.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { matMul } from "../../lib/tf/mat_mul.ts";

/** float32 products of O(1) numbers, absolute. */
const TOL = { float32: 1e-5 } as const;

function hostMatMul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

Deno.test("matMul() takes one weight both as itself and reshaped, repeatedly, with the right values and gradients", async () => {
  await initTf();
  const g = tf.keep(tf.tensor2d([...Array(20).keys()].map((i) => Math.sin(i)), [5, 4]));
  const x = tf.keep(tf.tensor2d([...Array(12).keys()].map((i) => Math.cos(i)), [3, 4]));
  const a = tf.keep(tf.tensor2d([...Array(15).keys()].map((i) => Math.cos(2 * i)), [3, 5]));
  try {
    const gHost = g.arraySync();
    const gReshaped = [0, 1, 2, 3].map((r) => gHost.flat().slice(5 * r, 5 * r + 5));
    const want1 = hostMatMul(x.arraySync(), gReshaped);
    const want2 = hostMatMul(a.arraySync(), gHost);
    // tf.matMul on the wasm backend reads out of bounds here when the tensors are disposed.
    for (let k = 0; k < 3; k++) {
      const [r1, r2, dg] = tf.tidy(() => {
        const f = (w: tf.Tensor) =>
          tf.add(
            matMul(x, tf.reshape(w, [4, 5]) as tf.Tensor2D).sum(),
            matMul(a, w as tf.Tensor2D).sum(),
          );
        return [
          matMul(x, tf.reshape(g, [4, 5]) as tf.Tensor2D).arraySync(),
          matMul(a, g).arraySync(),
          tf.grad(f)(g).arraySync() as number[][],
        ];
      });
      const worst = (got: number[][], want: number[][]) =>
        Math.max(...got.flatMap((row, i) => row.map((v, j) => Math.abs(v - want[i]![j]!))));
      assertLessOrEqual(worst(r1, want1), TOL.float32);
      assertLessOrEqual(worst(r2, want2), TOL.float32);
      // d/dg of sum(x @ reshape(g)) + sum(a @ g): column sums of x spread through the reshape, plus
      // column sums of a broadcast over g's columns.
      const xs = [0, 1, 2, 3].map((k2) => x.arraySync().reduce((s, row) => s + row[k2]!, 0));
      const as = [0, 1, 2, 3, 4].map((k2) => a.arraySync().reduce((s, row) => s + row[k2]!, 0));
      const want = gHost.map((row, i) =>
        row.map((_, j) => xs[Math.floor((4 * i + j) / 5)]! + as[i]!)
      );
      assertLessOrEqual(worst(dg, want), TOL.float32);
    }
  } finally {
    g.dispose();
    x.dispose();
    a.dispose();
  }
});
