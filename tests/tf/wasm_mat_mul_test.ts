import { assertAlmostEquals, assertEquals } from "../_assert.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";

/** float32 products of K ≤ 40 terms of size ≤ 1 against float64 sums. */
const PRODUCT_ATOL = { float32: 1e-5 } as const;

/** Host float64 product of row-major `a` [M, K] and `b` [K, N]. */
function hostProduct(a: Float32Array, b: Float32Array, M: number, K: number, N: number) {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[k * N + j]!;
      out[i * N + j] = s;
    }
  }
  return out;
}

function values(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(seed + 0.37 * i));
}

function transpose2(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  }
  return out;
}

Deno.test("wasm matMul: transposed operands and a batch of rows times one matrix give the plain products", async () => {
  const backend = await initTf();
  const [B, M, K, N] = [3, 5, 40, 7];
  const a = values(B * M * K, 1), b = values(K * N, 2);
  const expected: number[] = [];
  for (let t = 0; t < B; t++) {
    expected.push(...hostProduct(a.subarray(t * M * K, (t + 1) * M * K), b, M, K, N));
  }
  const aT = Float32Array.from({ length: B * M * K }, (_, i) => {
    const t = Math.floor(i / (M * K)), r = i % (M * K);
    return transpose2(a.subarray(t * M * K, (t + 1) * M * K), M, K)[r]!;
  });
  const bT = transpose2(b, K, N);
  const cases: [string, () => tf.Tensor][] = [
    ["[B,M,K]·[K,N]", () => tf.matMul(tf.tensor3d(a, [B, M, K]), tf.tensor2d(b, [K, N]))],
    ["[B,M,K]·[1,K,N]", () => tf.matMul(tf.tensor3d(a, [B, M, K]), tf.tensor3d(b, [1, K, N]))],
    ["[B,K,M]ᵀ·[K,N]", () => tf.matMul(tf.tensor3d(aT, [B, K, M]), tf.tensor2d(b, [K, N]), true)],
    [
      "[B,M,K]·[N,K]ᵀ",
      () => tf.matMul(tf.tensor3d(a, [B, M, K]), tf.tensor2d(bT, [N, K]), false, true),
    ],
    [
      "[B·M,K]·[N,K]ᵀ",
      () => tf.matMul(tf.tensor2d(a, [B * M, K]), tf.tensor2d(bT, [N, K]), false, true),
    ],
    [
      "[K,B·M]ᵀ·[K,N]",
      () =>
        tf.matMul(tf.tensor2d(transpose2(a, B * M, K), [K, B * M]), tf.tensor2d(b, [K, N]), true),
    ],
    ["[B,M,K]·[B,K,N] (two batches)", () =>
      tf.matMul(
        tf.tensor3d(a, [B, M, K]),
        tf.tensor3d(Float32Array.from({ length: B * K * N }, (_, i) => b[i % (K * N)]!), [B, K, N]),
      )],
  ];
  for (const [label, run] of cases) {
    const before = tf.memory().numTensors;
    const got = tf.tidy(() => {
      const y = run();
      return { shape: y.shape, data: Array.from(y.dataSync()) };
    });
    assertEquals(tf.memory().numTensors, before, `${label}: tensors left behind`);
    assertEquals(got.shape.reduce((p, d) => p * d, 1), B * M * N, label);
    assertEquals(got.shape.at(-1), N, label);
    got.data.forEach((v, i) =>
      assertAlmostEquals(v, expected[i]!, PRODUCT_ATOL.float32, `${label} [${i}]`)
    );
  }
  assertEquals(backend === "wasm" || backend === "cpu", true);
});

Deno.test("wasm matMul: gradients through transposed products equal the host's, and repeated products keep memory flat", async () => {
  await initTf();
  const [M, K, N] = [6, 30, 4];
  const a = values(M * K, 3), w = values(N * K, 4);
  // loss = Σ (a · wᵀ)²: d/dw = 2 · (a wᵀ)ᵀ a
  const y = hostProduct(a, transpose2(w, N, K), M, K, N);
  const expected = hostProduct(transpose2(Float32Array.from(y, (v) => 2 * v), M, N), a, N, M, K);
  const grad = () =>
    tf.tidy(() =>
      Array.from(
        tf.grad((v: tf.Tensor) =>
          tf.sum(tf.square(tf.matMul(tf.tensor2d(a, [M, K]), v as tf.Tensor2D, false, true)))
        )(tf.tensor2d(w, [N, K])).dataSync(),
      )
    );
  grad().forEach((g, i) => assertAlmostEquals(g, expected[i]!, 1e-4, `dw[${i}]`));
  const bytes = tf.memory().numBytes;
  for (let i = 0; i < 50; i++) grad();
  assertEquals(tf.memory().numBytes, bytes);
});
