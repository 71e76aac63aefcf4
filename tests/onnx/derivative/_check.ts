/**
 * Test helper: builds the derivative model of a tiny graph and compares its
 * Jacobian and Hessian with float64 central differences (Richardson
 * extrapolation) of, respectively, the float64 copy of the original graph run
 * by onnxruntime and the float64 derivative model's own Jacobian.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { finiteDifferenceJacobian } from "../../../lib/jacobian/finite_differences.ts";
import { decodeOnnxModel, type OnnxModel } from "../../../lib/onnx/model.ts";
import { createOrtRunner } from "../../../lib/onnx/ort_runner.ts";
import {
  buildDerivativeModel,
  createDerivativeRunner,
  type DerivativeValues,
} from "../../../lib/onnx/derivative/mod.ts";
import { assertEquals } from "../../_assert.ts";
import { seeded, type TinyGraph, tinyProto } from "../../graph/_tiny_graph.ts";

/**
 * Tolerances relative to `max(1, |reference|)`. float64 Jacobian vs Richardson
 * central differences (their truncation ~h⁴ at h ≈ ε^(1/5) leaves ~1e-11);
 * float64 Hessian vs central differences of the float64 Jacobian; float32
 * Jacobian vs float64 Jacobian (float32 rounding through a few ops).
 */
export const DERIVATIVE_TOL = { float64: 1e-7, hessian: 1e-6, float32: 2e-5 } as const;

/** The tiny graph as a model whose input and output have a dynamic batch axis. */
export function dynamicModel(g: TinyGraph): OnnxModel {
  const proto = tinyProto(g);
  for (const v of [...proto.graph!.input!, ...proto.graph!.output!]) {
    const dims = v.type?.tensorType?.shape?.dim;
    if (dims && dims.length > 0) dims[0] = { dimParam: "N" };
  }
  return decodeOnnxModel(onnxProto.onnx.ModelProto.encode(proto).finish(), "tiny.onnx");
}

/** Runs the derivative model of `model` in one precision and order. */
export async function derivatives(
  model: OnnxModel,
  x: Float64Array,
  points: number,
  dtype: "float32" | "float64",
  order: 1 | 2,
): Promise<DerivativeValues> {
  const runner = await createDerivativeRunner(await buildDerivativeModel(model, { dtype, order }));
  try {
    return await runner.run(x, points);
  } finally {
    await runner.release();
  }
}

/** Largest `|a - b| / max(1, |b|)`, and where. */
export function worstRelative(a: ArrayLike<number>, b: ArrayLike<number>): [number, number] {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  return [worst, at];
}

/** Asserts `worst(a, b) <= tol`, naming the quantity and the entry. */
export function assertClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  assertEquals(a.length, b.length, `${what}: lengths`);
  const [worst, at] = worstRelative(a, b);
  if (!(worst <= tol)) {
    throw new Error(
      `${what}: entry ${at} is ${a[at]}, expected ${b[at]} (relative error ${
        worst.toExponential(2)
      } > ${tol})`,
    );
  }
}

/** Options of {@linkcode checkDerivatives}. */
export interface CheckOptions {
  /** Points `N`. @default {5} */
  points?: number;
  /** Range of the seeded inputs. @default {[0.2, 0.9]} */
  range?: readonly [number, number];
  /** Also check second derivatives. @default {true} */
  hessian?: boolean;
}

/**
 * Asserts the derivative model of a tiny graph (input `x` `[N, n]`, output
 * `[N, m]`) against float64 central differences: the float64 Jacobian, the
 * float32 Jacobian against the float64 one, and the float64 Hessian.
 */
export async function checkDerivatives(g: TinyGraph, options: CheckOptions = {}): Promise<void> {
  const { points = 5, range = [0.2, 0.9], hessian = true } = options;
  const model = dynamicModel(g);
  const n = model.input.width;
  const m = model.output.width;
  const x = Float64Array.from(seeded(points * n, 2024, range[0], range[1]));
  const forward = await createOrtRunner(model, { dtype: "float64" });
  const fdOptions = { points, inputWidth: n, outputWidth: m, inputScale: Array(n).fill(1) };
  let reference;
  try {
    reference = await finiteDifferenceJacobian((v, k) => forward.run(v, k), x, {
      ...fdOptions,
      richardson: true,
    });
  } finally {
    await forward.release();
  }
  const order = hessian ? 2 : 1;
  const f64 = await derivatives(model, x, points, "float64", order);
  assertClose(f64.jacobian, reference.values, DERIVATIVE_TOL.float64, "float64 Jacobian vs FD");
  const f32 = await derivatives(model, x, points, "float32", 1);
  assertClose(f32.jacobian, f64.jacobian, DERIVATIVE_TOL.float32, "float32 Jacobian vs float64");
  if (!hessian) return;
  const first = await createDerivativeRunner(
    await buildDerivativeModel(model, { dtype: "float64", order: 1 }),
  );
  try {
    const jacobianOf = async (v: Float64Array, k: number) => (await first.run(v, k)).jacobian;
    const fdHessian = await finiteDifferenceJacobian(jacobianOf, x, {
      ...fdOptions,
      outputWidth: m * n,
      richardson: true,
    });
    // FD gives [N, m*n, n] = [N, m, n, n] row-major, the Hessian's layout.
    assertClose(f64.hessian!, fdHessian.values, DERIVATIVE_TOL.hessian, "float64 Hessian vs FD");
  } finally {
    await first.release();
  }
}
