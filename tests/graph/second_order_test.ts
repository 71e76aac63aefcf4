/**
 * Second-order reverse mode through the rebuild: the gradient, with respect
 * to a parameter, of a loss that contains the input Jacobian (what Sobolev /
 * gradient-enhanced training differentiates). Oracle: Richardson-extrapolated
 * central differences of that loss along a seeded direction; the loss itself
 * is a first-order gradient, checked against float64 finite differences in
 * gradient_test.ts.
 */
import { buildTfModel, type TfModel } from "../../lib/graph/tf_model.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { assertAlmostEquals } from "../_assert.ts";
import { attr, floatInput, node, seeded, type TinyGraph, tinyOnnxModel } from "./_tiny_graph.ts";

/**
 * float32 second-order gradient vs float32 central differences of a float32
 * first-order gradient, relative to max(1, |derivative|); tfjs's
 * test_util uses ~1e-3 for float32 gradient checks.
 */
const SECOND_ORDER_TOL = { float32: 2e-3 } as const;

/** L(w) = sum over points of sum_j (sum_i dy_i/dx_j)^2 with w replacing parameter `name`. */
function jacobianLoss(model: TfModel, x: tf.Tensor2D, name: string) {
  return (w: tf.Tensor) => {
    const overrides = new Map([[name, w]]);
    const j = tf.grad((v: tf.Tensor) => tf.sum(model.apply(v as tf.Tensor2D, overrides)))(x);
    return tf.sum(tf.square(j));
  };
}

/** Asserts <dL/dw, d> against the extrapolated central difference of L along d. */
function assertSecondOrder(model: TfModel, x: tf.Tensor2D, name: string, label: string) {
  tf.tidy(() => {
    const w = model.parameters.get(name)!;
    const loss = jacobianLoss(model, x, name);
    const d = tf.tensor(Float32Array.from(seeded(w.size, 77)), w.shape);
    const analytic = tf.sum(tf.mul(tf.grad(loss)(w), d)).dataSync()[0]!;
    const at = (e: number) => loss(tf.add(w, tf.mul(d, e))).dataSync()[0]!;
    const central = (h: number) => (at(h) - at(-h)) / (2 * h);
    const h = 2e-2;
    const numeric = (4 * central(h / 2) - central(h)) / 3;
    assertAlmostEquals(
      analytic,
      numeric,
      SECOND_ORDER_TOL.float32 * Math.max(1, Math.abs(numeric)),
      `${label}: d/dw of the Jacobian loss along a direction`,
    );
  });
}

const N = 4;
function activationGraph(op: string, attrs = [] as ReturnType<typeof attr.float>[]): TinyGraph {
  return {
    nodes: [
      node("Gemm", ["x", "w1"], ["z"]),
      node(op, ["z"], ["a"], attrs),
      node("Gemm", ["a", "w2"], ["y"]),
    ],
    inputs: [{ name: "x", dims: [N, 3], data: [] }],
    initializers: [floatInput("w1", [3, 3], 601, -1.5, 1.5), floatInput("w2", [3, 2], 602)],
    outputs: [{ name: "y", dims: [N, 2] }],
  };
}

Deno.test("TfModel.apply() is twice differentiable through every smooth activation and Exp/Min/Max/Clip", async (t) => {
  await initTf();
  const x = tf.tensor2d(seeded(N * 3, 603, -1, 1), [N, 3]);
  const cases: [string, TinyGraph][] = [
    ["Sigmoid", activationGraph("Sigmoid")],
    ["Tanh", activationGraph("Tanh")],
    ["Exp", activationGraph("Exp")],
    ["Softplus", activationGraph("Softplus")],
    ["Erf", activationGraph("Erf")],
    ["Elu", activationGraph("Elu")],
    ["Selu", activationGraph("Selu")],
    ["LeakyRelu", activationGraph("LeakyRelu", [attr.float("alpha", 0.2)])],
    ["HardSigmoid", activationGraph("HardSigmoid", [attr.float("alpha", 0.4)])],
    ["Softsign", activationGraph("Softsign")],
    ["Clip", {
      ...activationGraph("Clip"),
      nodes: [
        node("Gemm", ["x", "w1"], ["z"]),
        node("Mul", ["z", "z"], ["zz"]),
        node("Clip", ["zz", "lo", "hi"], ["a"]),
        node("Gemm", ["a", "w2"], ["y"]),
      ],
      initializers: [
        ...activationGraph("Clip").initializers!,
        { name: "lo", dims: [], data: [0.05] },
        { name: "hi", dims: [], data: [3] },
      ],
    }],
    ["Min/Max", {
      ...activationGraph("Max"),
      nodes: [
        node("Gemm", ["x", "w1"], ["z"]),
        node("Mul", ["z", "z"], ["zz"]),
        node("Max", ["zz", "c"], ["m"]),
        node("Min", ["m", "z"], ["a"]),
        node("Gemm", ["a", "w2"], ["y"]),
      ],
      initializers: [...activationGraph("Max").initializers!, floatInput("c", [3], 604, 0, 0.5)],
    }],
    ["LayerNormalization + SiLU", {
      ...activationGraph("Sigmoid"),
      nodes: [
        node("Gemm", ["x", "w1"], ["z"]),
        node("LayerNormalization", ["z", "s", "b"], ["n"]),
        node("Sigmoid", ["n"], ["sg"]),
        node("Mul", ["n", "sg"], ["a"]),
        node("Gemm", ["a", "w2"], ["y"]),
      ],
      initializers: [
        ...activationGraph("Sigmoid").initializers!,
        floatInput("s", [3], 605, 0.5, 1.5),
        floatInput("b", [3], 606),
      ],
    }],
  ];
  for (const [label, graph] of cases) {
    await t.step(label, () => {
      const model = buildTfModel(tinyOnnxModel(graph));
      try {
        assertSecondOrder(model, x, "w1", label);
      } finally {
        model.dispose();
      }
    });
  }
  x.dispose();
});

Deno.test("TfModel.apply() is twice differentiable on the bundled fastkan, effkan and mlp", async (t) => {
  await initTf();
  const x = tf.tensor2d(seeded(8 * 4, 607, 0.05, 0.95), [8, 4]);
  const first: Record<string, string> = {
    fastkan: "layers.0.base_linear.weight",
    effkan: "onnx::MatMul_496",
    mlp: "0.weight",
  };
  for (const [name, parameter] of Object.entries(first)) {
    await t.step(name, async () => {
      const model = buildTfModel(
        await loadOnnxModel(
          new URL(`../../data/models/${name}/model.onnx`, import.meta.url).pathname,
        ),
      );
      try {
        assertSecondOrder(model, x, parameter, name);
      } finally {
        model.dispose();
      }
    });
  }
  x.dispose();
});
