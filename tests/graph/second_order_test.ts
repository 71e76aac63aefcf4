/**
 * Second-order reverse mode through the rebuild: the gradient, with respect
 * to a parameter, of a loss that contains the input Jacobian (what Sobolev /
 * gradient-enhanced training differentiates). Oracle: Richardson-extrapolated
 * central differences of that loss along a seeded direction; the loss itself
 * is a first-order gradient, checked against float64 finite differences in
 * gradient_test.ts.
 */
import { buildTfModel } from "../../lib/graph/tf_model.ts";
import { loadOnnxModel } from "../../lib/onnx/model.ts";
import { initTf, tf } from "../../lib/tf/backend.ts";
import { assertSecondOrder } from "./_gradients.ts";
import { attr, floatInput, node, seeded, type TinyGraph, tinyOnnxModel } from "./_tiny_graph.ts";

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
