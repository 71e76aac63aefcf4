/**
 * Test helper: first- and second-order gradients of the tfjs rebuild against
 * independent oracles. First order: float32 reverse-mode Jacobian vs float64
 * central differences of the onnxruntime float64 copy of the same graph.
 * Second order: the gradient, with respect to a parameter, of a loss that
 * contains the input Jacobian (what Sobolev / gradient-enhanced training
 * differentiates) vs Richardson-extrapolated central differences of that loss.
 *
 * @module
 */
import { buildTfModel, type TfModel } from "../../lib/graph/tf_model.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { assert, assertAlmostEquals } from "../_assert.ts";
import {
  autodiffJacobian,
  centralDifferenceJacobian,
  floatInput,
  node,
  seeded,
  type TinyGraph,
  tinyOnnxModel,
  type TinyTensor,
} from "./_tiny_graph.ts";

/**
 * float32 reverse-mode Jacobian vs float64 central differences of the float64
 * onnxruntime copy, relative to max(1, max |J|) of the graph.
 */
export const GRADIENT_TOL = { float32: 1e-4 } as const;

/**
 * float32 second-order gradient vs float32 central differences of a float32
 * first-order gradient, relative to max(1, |derivative|); tfjs's
 * test_util uses ~1e-3 for float32 gradient checks.
 */
export const SECOND_ORDER_TOL = { float32: 2e-3 } as const;

/** The graph's own input data when it has `points` rows, else seeded points in `[lo, hi)`. */
function pointsOf(
  g: TinyGraph,
  points: number,
  width: number,
  seed: number,
  lo: number,
  hi: number,
): number[] {
  const given = g.inputs[0]?.data ?? [];
  return given.length === points * width ? [...given] : seeded(points * width, seed, lo, hi);
}

/**
 * Asserts the rebuild's Jacobian of `g` (one `[N, n]` input, one `[N, m]`
 * output) at `points` seeded points in `[lo, hi)` matches float64 central
 * differences of the onnxruntime float64 copy.
 *
 * @returns The largest error, relative to max(1, max |J|).
 */
export async function assertGradientsMatch(
  g: TinyGraph,
  points: number,
  lo = -1,
  hi = 1,
): Promise<number> {
  await initTf();
  const model = tinyOnnxModel(g);
  const x = Float64Array.from(pointsOf(g, points, model.input.width, 7, lo, hi));
  const tfModel = buildTfModel(model);
  try {
    const auto = await autodiffJacobian(tfModel, x, points);
    const fd = await centralDifferenceJacobian(model, x, points);
    const scale = Math.max(1, ...fd.flat(2).map(Math.abs));
    let worst = 0;
    auto.forEach((rows, k) =>
      rows.forEach((row, i) =>
        row.forEach((v, j) => {
          assert(Number.isFinite(v), `J[${k}][${i}][${j}] = ${v} is not finite`);
          worst = Math.max(worst, Math.abs(v - fd[k]![i]![j]!) / scale);
          assertAlmostEquals(
            v,
            fd[k]![i]![j]!,
            GRADIENT_TOL.float32 * scale,
            `J[${k}][${i}][${j}]`,
          );
        })
      )
    );
    return worst;
  } finally {
    tfModel.dispose();
  }
}

/** L(w) = sum over points of sum_j (sum_i dy_i/dx_j)^2 with w replacing parameter `name`. */
function jacobianLoss(model: TfModel, x: tf.Tensor2D, name: string) {
  return (w: tf.Tensor) => {
    const overrides = new Map([[name, w]]);
    const j = tf.grad((v: tf.Tensor) => tf.sum(model.apply(v as tf.Tensor2D, overrides)))(x);
    return tf.sum(tf.square(j));
  };
}

/**
 * Asserts <dL/dw, d> against the extrapolated central difference of the
 * Jacobian loss L along a seeded direction d.
 *
 * @returns The error, relative to max(1, |numeric|).
 */
export function assertSecondOrder(
  model: TfModel,
  x: tf.Tensor2D,
  name: string,
  label: string,
): number {
  return tf.tidy(() => {
    const w = model.parameters.get(name)!;
    const loss = jacobianLoss(model, x, name);
    const d = tf.tensor(Float32Array.from(seeded(w.size, 77)), w.shape);
    const analytic = tf.sum(tf.mul(tf.grad(loss)(w), d)).dataSync()[0]!;
    const at = (e: number) => loss(tf.add(w, tf.mul(d, e))).dataSync()[0]!;
    const central = (h: number) => (at(h) - at(-h)) / (2 * h);
    const h = 2e-2;
    const numeric = (4 * central(h / 2) - central(h)) / 3;
    const scale = Math.max(1, Math.abs(numeric));
    assertAlmostEquals(
      analytic,
      numeric,
      SECOND_ORDER_TOL.float32 * scale,
      `${label}: d/dw of the Jacobian loss along a direction`,
    );
    return Math.abs(analytic - numeric) / scale;
  });
}

/**
 * {@linkcode assertSecondOrder} on a tiny graph with parameter `name`, at
 * `points` seeded points in `[lo, hi)`.
 */
export async function assertSecondOrderOf(
  g: TinyGraph,
  name: string,
  points: number,
  lo = -1,
  hi = 1,
): Promise<number> {
  await initTf();
  const model = buildTfModel(tinyOnnxModel(g));
  const x = tf.tensor2d(pointsOf(g, points, model.inputWidth, 603, lo, hi), [
    points,
    model.inputWidth,
  ]);
  try {
    return assertSecondOrder(model, x, name, `${g.nodes.map((n) => n.opType).join(" ")}`);
  } finally {
    x.dispose();
    model.dispose();
  }
}

/** Options of {@linkcode sandwich}. */
export interface SandwichOptions {
  /** Input width. @default {3} */
  readonly n?: number;
  /** Width of `h`, the op's input. @default {4} */
  readonly k?: number;
  /** Width of `g`, the op's output (after flattening to `[N, width]`). @default {k} */
  readonly width?: number;
  /** Points. @default {5} */
  readonly points?: number;
  /** Range of the first weight's seeded values. @default {[-1, 1]} */
  readonly w1?: readonly [number, number];
  /** More initializers the nodes use. @default {[]} */
  readonly initializers?: readonly TinyTensor[];
  /**
   * Kinks of the op: points are drawn so that every `h` is at least 0.1 away
   * from each (further than a second-order check's steps move it).
   * @default {[]}
   */
  readonly kinks?: readonly number[];
}

/**
 * `x [N, n] → Gemm(w1) → h [N, k] → nodes → g [N, width] → MatMul(w2) → y [N, 2]`:
 * an op between two parameters, for first-order gradients (to x) and
 * second-order ones (to w1, through the input Jacobian).
 */
export function sandwich(nodes: TinyGraph["nodes"], options: SandwichOptions = {}): TinyGraph {
  const { n = 3, k = 4, points = 5, w1 = [-1, 1], initializers = [], kinks = [] } = options;
  const width = options.width ?? k;
  const weight = floatInput("w1", [n, k], 612, w1[0], w1[1]);
  const w = weight.data.map(Math.fround);
  const data: number[] = [];
  for (let seed = 611; data.length < points * n; seed++) {
    const row = seeded(n, seed);
    const h = Array.from(
      { length: k },
      (_, j) => row.reduce((a, v, i) => a + v * w[i * k + j]!, 0),
    );
    if (h.every((v) => kinks.every((c) => Math.abs(v - c) >= 0.1))) data.push(...row);
  }
  return {
    nodes: [node("Gemm", ["x", "w1"], ["h"]), ...nodes, node("MatMul", ["g", "w2"], ["y"])],
    inputs: [{ name: "x", dims: [points, n], data }],
    initializers: [...initializers, weight, floatInput("w2", [width, 2], 613)],
    outputs: [{ name: "y", dims: [points, 2] }],
  };
}

/** Labelled graphs with one `[N, n]` input and one `[N, m]` output. */
export type GraphCases = readonly (readonly [string, TinyGraph])[];

/** One test step per case: {@linkcode assertGradientsMatch} at 5 points. */
export async function stepGradients(t: Deno.TestContext, cases: GraphCases): Promise<void> {
  for (const [label, graph] of cases) {
    await t.step(label, async () => {
      await assertGradientsMatch(graph, 5);
    });
  }
}

/** One test step per case: {@linkcode assertSecondOrderOf} at 5 points, to each parameter. */
export async function stepSecondOrder(
  t: Deno.TestContext,
  cases: GraphCases,
  parameters: readonly string[] = ["w1"],
): Promise<void> {
  for (const [label, graph] of cases) {
    await t.step(label, async () => {
      for (const p of parameters) await assertSecondOrderOf(graph, p, 5);
    });
  }
}
