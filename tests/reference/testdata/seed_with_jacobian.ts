/** The seed equations as a reference module with its hand-written Jacobian (test fixture). */
export const inputs = ["x1", "x2", "x3", "x4"];
export const outputs = ["f1", "f2", "f3", "f4"];

export function f(x: Float64Array): Float64Array {
  const [x1, x2, x3, x4] = [x[0]!, x[1]!, x[2]!, x[3]!];
  return new Float64Array([
    0.4 * x1 ** 2 + 0.2 * x2 ** 2 + 0.1 * x3 ** 3.5 + 0.3 * x4 ** 1.5,
    3 * x1 + 4 * x2 + 5 * x3 + 6 * x4 + Math.sin(x1) * Math.cos(x2),
    Math.sin(x1) + Math.cos(x2) + 0.05 * Math.exp(x3) + 0.1 * Math.exp(x4),
    200 * x1 ** 2 + 6 * Math.exp(x2) + x1 ** 3 + 4 * Math.exp(x4),
  ]);
}

export function jacobian(x: Float64Array): Float64Array {
  const [x1, x2, x3, x4] = [x[0]!, x[1]!, x[2]!, x[3]!];
  // deno-fmt-ignore
  return new Float64Array([
    0.8 * x1, 0.4 * x2, 0.35 * x3 ** 2.5, 0.45 * Math.sqrt(x4),
    3 + Math.cos(x1) * Math.cos(x2), 4 - Math.sin(x1) * Math.sin(x2), 5, 6,
    Math.cos(x1), -Math.sin(x2), 0.05 * Math.exp(x3), 0.1 * Math.exp(x4),
    400 * x1 + 3 * x1 ** 2, 6 * Math.exp(x2), 0, 4 * Math.exp(x4),
  ]);
}
