import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import {
  denormalize,
  denormalizeTensor,
  identityScaler,
  identityScaling,
  minMaxScaler,
  normalize,
  normalizeTensor,
  scalerDerivative,
  type VariableScaler,
  zScoreScaler,
} from "../../lib/scaling/mod.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";

/** float64 round trips: a few ulps of the larger of |x| and the scaler's range. */
const FLOAT64_RELATIVE = 1e-12;
/** Central differences of an affine map in float64: truncation is zero, rounding ~1e-16/h. */
const FLOAT64_FD = 1e-8;
/** float32 values, relative to the magnitudes involved. */
const FLOAT32_RELATIVE = 1e-6;

const SCALERS: VariableScaler[] = [
  minMaxScaler("x1", { min: 0.5, max: 2.5 }),
  minMaxScaler("x2", { min: -300, max: 1200, range: [-1, 1] }),
  zScoreScaler("x3", { mean: 1e-3, std: 4e-4 }),
  identityScaler("x4"),
];

function points(rows: number): Float64Array {
  // Deterministic, spread over several magnitudes per column.
  const x = new Float64Array(rows * 4);
  for (let r = 0; r < rows; r++) {
    x[r * 4] = 0.5 + 2 * ((r * 0.618034) % 1);
    x[r * 4 + 1] = -300 + 1500 * ((r * 0.414214) % 1);
    x[r * 4 + 2] = 1e-3 + 8e-4 * (((r * 0.732051) % 1) - 0.5);
    x[r * 4 + 3] = -50 + 100 * ((r * 0.236068) % 1);
  }
  return x;
}

Deno.test("normalize() and denormalize() are inverse for every kind to 1e-12 relative", () => {
  const x = points(50);
  const back = denormalize(SCALERS, normalize(SCALERS, x));
  for (let i = 0; i < x.length; i++) {
    assertAlmostEquals(back[i]!, x[i]!, FLOAT64_RELATIVE * Math.max(1, Math.abs(x[i]!)));
  }
  const xn = normalize(SCALERS, x);
  const again = normalize(SCALERS, denormalize(SCALERS, xn));
  for (let i = 0; i < xn.length; i++) {
    assertAlmostEquals(again[i]!, xn[i]!, FLOAT64_RELATIVE * Math.max(1, Math.abs(xn[i]!)));
  }
});

Deno.test("normalize() of min-max [0, 1] is bit for bit the user's (x - min) / (max - min)", () => {
  const s = [minMaxScaler("f4", { min: 78.28015294600462, max: 1349.535502509693 })];
  const x = new Float64Array([78.28015294600462, 100.1, 777.7, 1349.535502509693]);
  const xn = normalize(s, x);
  x.forEach((v, i) =>
    assertEquals(xn[i], (v - 78.28015294600462) / (1349.535502509693 - 78.28015294600462))
  );
  assertEquals(xn[0], 0);
  assertEquals(xn[3], 1);
  const y = denormalize(s, new Float64Array([0.25]));
  assertEquals(y[0], 78.28015294600462 + 0.25 * (1349.535502509693 - 78.28015294600462));
});

Deno.test("normalize() maps the documented points: min-max ends, z-score mean and mean + std", () => {
  const xn = normalize(SCALERS, new Float64Array([0.5, -300, 1e-3, 7, 2.5, 1200, 1.4e-3, -7]));
  const expected = [0, -1, 0, 7, 1, 1, 1, -7];
  expected.forEach((v, i) => assertAlmostEquals(xn[i]!, v, FLOAT64_RELATIVE));
});

Deno.test("scalerDerivative() matches float64 central differences of normalize and denormalize", () => {
  const x = points(7);
  for (let j = 0; j < 4; j++) {
    const s = SCALERS[j]!;
    for (let r = 0; r < 7; r++) {
      const v = x[r * 4 + j]!;
      const h = 1e-4 * Math.max(1e-3, Math.abs(v));
      const f = (t: number) => normalize([s], new Float64Array([t]))[0]!;
      const fd = (f(v + h) - f(v - h)) / (2 * h);
      assertAlmostEquals(fd, scalerDerivative(s), FLOAT64_FD * Math.abs(scalerDerivative(s)));
      const u = f(v), k = 1e-4 * Math.max(1, Math.abs(u));
      const g = (t: number) => denormalize([s], new Float64Array([t]))[0]!;
      const fdInverse = (g(u + k) - g(u - k)) / (2 * k);
      assertAlmostEquals(fdInverse, 1 / scalerDerivative(s), FLOAT64_FD / Math.abs(s.scale));
      // The affine form agrees with the computed values.
      assertAlmostEquals(
        s.scale * v + s.offset,
        u,
        FLOAT64_RELATIVE * Math.max(1, Math.abs(u)) * 10,
      );
    }
  }
});

Deno.test("normalizeTensor() and denormalizeTensor() match float64 and carry the gradient", async () => {
  await initTf();
  const x = points(6);
  const xn64 = normalize(SCALERS, x);
  const before = tf.memory().numTensors;
  const [xn32, back32, grad] = tf.tidy(() => {
    const xt = tf.tensor2d(Float32Array.from(x), [6, 4], "float32");
    const xn = normalizeTensor(SCALERS, xt);
    const back = denormalizeTensor(SCALERS, xn);
    const g = tf.grad((t: tf.Tensor) => normalizeTensor(SCALERS, t as tf.Tensor2D).sum())(xt);
    return [xn.dataSync(), back.dataSync(), g.dataSync()];
  });
  assertEquals(tf.memory().numTensors, before);
  for (let i = 0; i < x.length; i++) {
    const s = SCALERS[i % 4]!;
    assertAlmostEquals(xn32[i]!, xn64[i]!, FLOAT32_RELATIVE * (1 + Math.abs(s.scale * x[i]!)));
    assertAlmostEquals(back32[i]!, x[i]!, FLOAT32_RELATIVE * 10 * (Math.abs(x[i]!) + 1 / s.scale));
    assertAlmostEquals(grad[i]!, s.scale, FLOAT32_RELATIVE * s.scale);
  }
  tf.tidy(() => {
    assertThrows(
      () => normalizeTensor(SCALERS, tf.zeros([2, 3]) as tf.Tensor2D),
      TypeError,
      "expected a tensor of shape [N, 4], got [2, 3]",
    );
  });
});

Deno.test("scaler constructors refuse empty ranges and non-positive std, naming the variable", () => {
  assertThrows(() => minMaxScaler("x2", { min: 1, max: 1 }), RangeError, `"x2": min 1 >= max 1`);
  assertThrows(
    () => minMaxScaler("x2", { min: 0, max: 1, range: [1, 0] }),
    RangeError,
    "target range [1, 0] is empty",
  );
  assertThrows(
    () => zScoreScaler("f1", { mean: 0, std: 0 }),
    RangeError,
    `"f1": std 0 is not positive`,
  );
  assertThrows(
    () => minMaxScaler("x1", { min: NaN, max: 1 }),
    RangeError,
    "min NaN is not a finite",
  );
  assertThrows(
    () => normalize(SCALERS, new Float64Array(6)),
    TypeError,
    "6 values do not fill rows of 4 variables",
  );
});

Deno.test("identityScaling() names x1..xn and y1..ym and changes nothing", () => {
  const s = identityScaling(3, 2);
  assertEquals(s.inputs.map((v) => v.name), ["x1", "x2", "x3"]);
  assertEquals(s.outputs.map((v) => v.name), ["y1", "y2"]);
  const x = new Float64Array([1.5, -2, 3e10]);
  assertEquals(Array.from(normalize(s.inputs, x)), Array.from(x));
  assertThrows(() => identityScaling(0, 2), RangeError, "input count 0");
});
