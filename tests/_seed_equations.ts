/**
 * The seed equations (the report's four) and their Jacobian, derived by hand:
 * the independent float64 oracle of the reference, finite-difference and check
 * tests.
 *
 * @module
 */

/** `[f1, f2, f3, f4]` at one point `x = [x1, x2, x3, x4]`. */
export function handValues(x: ArrayLike<number>): number[] {
  const [x1, x2, x3, x4] = [x[0]!, x[1]!, x[2]!, x[3]!];
  return [
    0.4 * x1 * x1 + 0.2 * x2 * x2 + 0.1 * Math.pow(x3, 3.5) + 0.3 * Math.pow(x4, 1.5),
    3 * x1 + 4 * x2 + 5 * x3 + 6 * x4 + Math.sin(x1) * Math.cos(x2),
    Math.sin(x1) + Math.cos(x2) + 0.05 * Math.exp(x3) + 0.1 * Math.exp(x4),
    200 * x1 * x1 + 6 * Math.exp(x2) + x1 * x1 * x1 + 4 * Math.exp(x4),
  ];
}

/** `∂f_i/∂x_j` at one point, row-major `[4, 4]`. */
export function handJacobian(x: ArrayLike<number>): number[] {
  const [x1, x2, x3, x4] = [x[0]!, x[1]!, x[2]!, x[3]!];
  return [
    // d f1 / d x: 0.8 x1, 0.4 x2, 0.1 * 3.5 x3^2.5, 0.3 * 1.5 x4^0.5
    0.8 * x1,
    0.4 * x2,
    0.35 * x3 * x3 * Math.sqrt(x3),
    0.45 * Math.sqrt(x4),
    // d f2 / d x: 3 + cos x1 cos x2, 4 - sin x1 sin x2, 5, 6
    3 + Math.cos(x1) * Math.cos(x2),
    4 - Math.sin(x1) * Math.sin(x2),
    5,
    6,
    // d f3 / d x: cos x1, -sin x2, 0.05 e^x3, 0.1 e^x4
    Math.cos(x1),
    -Math.sin(x2),
    0.05 * Math.exp(x3),
    0.1 * Math.exp(x4),
    // d f4 / d x: 400 x1 + 3 x1^2, 6 e^x2, 0, 4 e^x4
    400 * x1 + 3 * x1 * x1,
    6 * Math.exp(x2),
    0,
    4 * Math.exp(x4),
  ];
}

/** `handValues` over a batch `[N, 4]` → `[N, 4]`. */
export function handValuesBatch(x: Float64Array, points: number): Float64Array {
  const y = new Float64Array(points * 4);
  for (let k = 0; k < points; k++) y.set(handValues(x.subarray(4 * k, 4 * k + 4)), 4 * k);
  return y;
}

/** `handJacobian` over a batch `[N, 4]` → `[N, 4, 4]`. */
export function handJacobianBatch(x: Float64Array, points: number): Float64Array {
  const j = new Float64Array(points * 16);
  for (let k = 0; k < points; k++) j.set(handJacobian(x.subarray(4 * k, 4 * k + 4)), 16 * k);
  return j;
}

/** Points inside and at the edges of the seed box, and beyond it. */
export const POINTS = new Float64Array([
  0.5,
  0.5,
  0.5,
  0.5,
  2.5,
  2.5,
  2.5,
  2.5,
  1.234,
  0.777,
  2.01,
  1.5,
  0.9,
  2.2,
  1.1,
  0.6,
  3.7,
  0.1,
  4.2,
  0.05,
]);
