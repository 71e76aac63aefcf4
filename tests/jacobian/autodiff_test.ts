import { initTf, tf } from "../../lib/tf/backend.ts";
import { composePhysical, computeJacobian } from "../../lib/jacobian/autodiff.ts";
import { denormalizeJacobian } from "../../lib/jacobian/chain_rule.ts";
import { assertEquals, assertLess, assertThrows } from "../_assert.ts";
import { assertAllClose, type Tolerance } from "./_close.ts";

await initTf();

/**
 * float32 reverse mode vs float64 hand-derived derivatives: a few float32 ulps
 * of the largest intermediate (values here are O(1) to O(10)).
 */
const AUTODIFF_TOL: Record<"float32", Tolerance> = { float32: { rtol: 2e-5, atol: 2e-5 } };
/** Two float32 evaluations of the same derivative that differ only in batching. */
/**
 * Physical Jacobian by autodiff through float32 normalize/denormalize vs the
 * float64 chain rule on the normalized Jacobian, relative to each entry's
 * magnitude; float32 rounding of the physical inputs and of the affine maps
 * perturbs the normalized point by about 1e-7 of |x| / range.
 */
const COMPOSE_TOL: Record<"float32", number> = { float32: 1e-6 };
const REBATCH_TOL: Record<"float32", Tolerance> = { float32: { rtol: 1e-6, atol: 1e-6 } };

// f(x) = [x1² x2, sin x1 + exp x2, x1 x3 + tanh x2], n = 3, m = 3.
const analytic = (x: tf.Tensor2D): tf.Tensor2D => {
  const [x1, x2, x3] = tf.split(x, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  return tf.concat([
    tf.mul(tf.square(x1), x2),
    tf.add(tf.sin(x1), tf.exp(x2)),
    tf.add(tf.mul(x1, x3), tf.tanh(x2)),
  ], 1);
};
function analyticJacobian(x: Float64Array, points: number): Float64Array {
  const out = new Float64Array(points * 9);
  for (let k = 0; k < points; k++) {
    const [x1, x2, x3] = [x[3 * k]!, x[3 * k + 1]!, x[3 * k + 2]!];
    const t = Math.tanh(x2);
    out.set([
      2 * x1 * x2,
      x1 * x1,
      0,
      Math.cos(x1),
      Math.exp(x2),
      0,
      x3,
      1 - t * t,
      x1,
    ], 9 * k);
  }
  return out;
}

function points(count: number, width: number, seed: number): Float64Array {
  // Deterministic points in [-1.5, 1.5] from a linear congruential sequence.
  const x = new Float64Array(count * width);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = -1.5 + 3 * (s / 2147483648);
  }
  return x;
}

// A small MLP y = W2 tanh(W1 x + b1) + b2 with 4 inputs, 6 hidden, 2 outputs.
const W1 = points(6, 4, 7);
const B1 = points(6, 1, 8);
const W2 = points(2, 6, 9);
const B2 = points(2, 1, 10);
const mlp = (x: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(() => {
    const h = tf.tanh(
      tf.add(
        tf.matMul(x, tf.tensor2d(Float32Array.from(W1), [6, 4]), false, true),
        tf.tensor1d(Float32Array.from(B1)),
      ),
    );
    return tf.add(
      tf.matMul(h, tf.tensor2d(Float32Array.from(W2), [2, 6]), false, true),
      tf.tensor1d(Float32Array.from(B2)),
    );
  });
function mlpJacobian(x: Float64Array, count: number): Float64Array {
  const out = new Float64Array(count * 2 * 4);
  for (let k = 0; k < count; k++) {
    const d = new Float64Array(6);
    for (let h = 0; h < 6; h++) {
      let a = B1[h]!;
      for (let j = 0; j < 4; j++) a += W1[h * 4 + j]! * x[k * 4 + j]!;
      d[h] = 1 - Math.tanh(a) ** 2;
    }
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let h = 0; h < 6; h++) s += W2[i * 6 + h]! * d[h]! * W1[h * 4 + j]!;
        out[(k * 2 + i) * 4 + j] = s;
      }
    }
  }
  return out;
}

Deno.test("computeJacobian() matches hand-derived derivatives of an elementwise function", () => {
  const x = points(50, 3, 1);
  const jac = computeJacobian(analytic, x, { points: 50, inputWidth: 3 });
  assertEquals(jac.points, 50);
  assertEquals(jac.outputs, ["y1", "y2", "y3"]);
  assertEquals(jac.inputs, ["x1", "x2", "x3"]);
  // The reference is evaluated at the float32-rounded points the tf function sees.
  assertAllClose(
    jac.values,
    analyticJacobian(Float64Array.from(Float32Array.from(x)), 50),
    AUTODIFF_TOL.float32,
  );
});

Deno.test("computeJacobian() matches the chain-rule Jacobian of an MLP", () => {
  const x = points(40, 4, 2);
  const jac = computeJacobian(mlp, x, { points: 40, inputWidth: 4, outputs: ["f1", "f2"] });
  assertEquals(jac.outputs, ["f1", "f2"]);
  assertAllClose(
    jac.values,
    mlpJacobian(Float64Array.from(Float32Array.from(x)), 40),
    AUTODIFF_TOL.float32,
  );
});

Deno.test("computeJacobian() batched equals a per-sample loop of single-point gradients", () => {
  const count = 12;
  const x = points(count, 4, 3);
  const batched = computeJacobian(mlp, x, { points: count, inputWidth: 4 });
  const loop = new Float64Array(count * 2 * 4);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < 2; i++) {
      const g = tf.tidy(() => {
        const xk = tf.tensor2d(Float32Array.from(x.subarray(4 * k, 4 * k + 4)), [1, 4]);
        return tf.grad((v: tf.Tensor) => tf.sum(mlp(v as tf.Tensor2D).slice([0, i], [1, 1])))(xk)
          .dataSync();
      });
      loop.set(g, (k * 2 + i) * 4);
    }
  }
  assertAllClose(batched.values, loop, REBATCH_TOL.float32);
});

Deno.test("computeJacobian() gives the same result in chunks as in one pass", () => {
  const x = points(23, 4, 4);
  const whole = computeJacobian(mlp, x, { points: 23, inputWidth: 4 });
  const chunked = computeJacobian(mlp, x, { points: 23, inputWidth: 4, chunkSize: 5 });
  assertAllClose(chunked.values, whole.values, REBATCH_TOL.float32);
});

Deno.test("computeJacobian() leaves no tensor behind", () => {
  const x = points(9, 4, 5);
  computeJacobian(mlp, x, { points: 9, inputWidth: 4, chunkSize: 4 }); // warm-up
  const before = tf.memory().numTensors;
  computeJacobian(mlp, x, { points: 9, inputWidth: 4, chunkSize: 4 });
  computeJacobian(
    composePhysical(mlp, {
      inputs: { scale: [1, 2, 3, 4], offset: [0, 1, 0, 1] },
      outputs: [{ scale: 2, offset: 1 }, { scale: 0.5, offset: 0 }],
    }),
    x,
    { points: 9, inputWidth: 4 },
  );
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("computeJacobian() refuses wrong sizes with one-line errors", async (t) => {
  await t.step("input length", () => {
    assertThrows(
      () => computeJacobian(mlp, new Float64Array(7), { points: 2, inputWidth: 4 }),
      TypeError,
      "7 input values do not fill [2, 4]",
    );
  });
  await t.step("output names", () => {
    assertThrows(
      () => computeJacobian(mlp, new Float64Array(8), { points: 2, inputWidth: 4, outputs: ["a"] }),
      TypeError,
      "maps [2, 4] to [2,2], expected [2, 1]",
    );
  });
  await t.step("chunk size", () => {
    assertThrows(
      () => computeJacobian(mlp, new Float64Array(8), { points: 2, inputWidth: 4, chunkSize: 0 }),
      RangeError,
      "chunk size 0",
    );
  });
});

Deno.test("composePhysical() autodiff equals the chain-rule formula within float32 rounding", () => {
  // Min-max scalings: x_n = (x - min) / range, y = min + y_n * range.
  const inMin = [10, -0.05, 0.5, 300];
  const inRange = [5, 0.1, 2, 1000];
  const outMin = [-7, 0.01, 2e3, 1];
  const outRange = [20, 0.002, 5e3, 0.5];
  const scaling = {
    inputs: { scale: inRange.map((r) => 1 / r), offset: inMin.map((v, j) => -v / inRange[j]!) },
    outputs: outRange.map((r, i) => ({ scale: 1 / r, offset: -outMin[i]! / r })),
  };
  const f4 = (x: tf.Tensor2D): tf.Tensor2D => tf.concat([mlp(x), mlp(tf.reverse(x, 1))], 1);
  const count = 30;
  const xn = points(count, 4, 6).map((v) => (v + 1.5) / 3);
  const x = xn.map((v, idx) => inMin[idx % 4]! + v * inRange[idx % 4]!);
  const physical = computeJacobian(composePhysical(f4, scaling), x, {
    points: count,
    inputWidth: 4,
  });
  const normalized = computeJacobian(f4, xn, { points: count, inputWidth: 4 });
  const chained = denormalizeJacobian(normalized, scaling);
  // Entries span 1e-6 to 1e5 (range_out / range_in): judge each entry against
  // its own magnitude over the points.
  let worst = 0;
  for (let e = 0; e < 16; e++) {
    let scale = 0;
    for (let k = 0; k < count; k++) scale = Math.max(scale, Math.abs(chained.values[k * 16 + e]!));
    for (let k = 0; k < count; k++) {
      const diff = Math.abs(physical.values[k * 16 + e]! - chained.values[k * 16 + e]!);
      worst = Math.max(worst, diff / scale);
    }
  }
  assertLess(worst, COMPOSE_TOL.float32);
});

Deno.test("computeJacobian() handles a single output", () => {
  const f = (x: tf.Tensor2D): tf.Tensor2D => tf.sum(tf.square(x), 1, true) as tf.Tensor2D;
  const jac = computeJacobian(f, new Float64Array([1, 2, -3, 0.5]), { points: 2, inputWidth: 2 });
  assertEquals([...jac.values], [2, 4, -6, 1]);
});

Deno.test("composePhysical() refuses a zero scale", () => {
  assertThrows(
    () =>
      composePhysical(mlp, {
        inputs: { scale: [1, 0, 1, 1], offset: [0, 0, 0, 0] },
        outputs: { scale: [1, 1], offset: [0, 0] },
      }),
    RangeError,
    "inputs scaling: variable 2 has scale 0",
  );
});

Deno.test("computeJacobian() with one forward per chunk equals tf.grad run once per output, bit for bit", async () => {
  await initTf();
  const { loadOnnxModel } = await import("../../lib/onnx/model.ts");
  const { buildTfModel } = await import("../../lib/graph/tf_model.ts");
  const model = buildTfModel(
    await loadOnnxModel(new URL("../../data/models/fastkan/model.onnx", import.meta.url).pathname),
  );
  try {
    const points = 37;
    const x = Float64Array.from({ length: points * 4 }, (_, i) => ((i * 7919) % 97) / 97);
    const before = tf.memory().numTensors;
    const jac = computeJacobian((v) => model.apply(v), x, { points, inputWidth: 4, chunkSize: 16 });
    assertEquals(tf.memory().numTensors, before, "no tensor left behind");
    const expected = tf.tidy(() => {
      const xt = tf.tensor2d(Float32Array.from(x), [points, 4]);
      const rows = [0, 1, 2, 3].map((i) =>
        tf.grad((v: tf.Tensor) =>
          tf.sum(tf.slice(model.apply(v as tf.Tensor2D), [0, i], [points, 1]))
        )(
          xt,
        )
      );
      return tf.stack(rows, 1).dataSync();
    });
    assertEquals(Array.from(jac.values), Array.from(expected));
  } finally {
    model.dispose();
  }
});
