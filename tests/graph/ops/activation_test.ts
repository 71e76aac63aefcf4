import { buildTfModel } from "../../../lib/graph/tf_model.ts";
import { assertAlmostEquals } from "../../_assert.ts";
import {
  assertSecondOrderOf,
  GRADIENT_TOL,
  sandwich,
  stepGradients,
  stepSecondOrder,
} from "../_gradients.ts";
import {
  assertAgrees,
  attr,
  autodiffJacobian,
  floatInput,
  node,
  type TinyGraph,
  tinyOnnxModel,
} from "../_tiny_graph.ts";

Deno.test("ACTIVATION_OPS match onnxruntime with default and explicit attributes", async (t) => {
  const cases: [string, ReturnType<typeof attr.float>[]][] = [
    ["Relu", []],
    ["Sigmoid", []],
    ["Tanh", []],
    ["Softplus", []],
    ["Softsign", []],
    ["Erf", []],
    ["LeakyRelu", []],
    ["LeakyRelu", [attr.float("alpha", 0.3)]],
    ["Elu", []],
    ["Elu", [attr.float("alpha", 0.7)]],
    ["Selu", []],
    ["Selu", [attr.float("alpha", 1.2), attr.float("gamma", 0.9)]],
    ["HardSigmoid", []],
    ["HardSigmoid", [attr.float("alpha", 0.4), attr.float("beta", 0.3)]],
    ["Celu", []],
    ["Celu", [attr.float("alpha", 0.5)]],
    ["HardSwish", []],
    ["Mish", []],
    ["ThresholdedRelu", []],
    ["ThresholdedRelu", [attr.float("alpha", 0.3)]],
  ];
  for (const [op, attrs] of cases) {
    await t.step(`${op} ${attrs.map((a) => `${a.name}=${a.f}`).join(" ")}`, async () => {
      await assertAgrees({
        nodes: [node(op, ["x"], ["y"], attrs)],
        inputs: [floatInput("x", [4, 5], 21, -4, 4)],
        outputs: ["y"],
        opset: op === "Mish" ? 18 : 17,
      });
    });
  }
});

Deno.test("ACTIVATION_OPS Erf and Sigmoid folded on the host match onnxruntime", async () => {
  for (const op of ["Erf", "Sigmoid", "Tanh", "Softplus", "Softsign", "Relu"]) {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [6], 22, -3.5, 3.5))]),
        node(op, ["c"], ["u"]),
        node("Add", ["x", "u"], ["y"]),
      ],
      inputs: [floatInput("x", [2, 6], 23)],
      outputs: ["y"],
    });
  }
});

Deno.test("ACTIVATION_OPS Clip matches onnxruntime in the attribute form (opset 6) and input forms", async (t) => {
  const x = floatInput("x", [3, 4], 24, -3, 3);
  await t.step("attributes min/max, opset 6", async () => {
    await assertAgrees({
      nodes: [node("Clip", ["x"], ["y"], [attr.float("min", -1), attr.float("max", 0.5)])],
      inputs: [x],
      outputs: ["y"],
      opset: 6,
    });
  });
  await t.step("inputs min and max", async () => {
    await assertAgrees({
      nodes: [node("Clip", ["x", "lo", "hi"], ["y"])],
      inputs: [x],
      initializers: [{ name: "lo", dims: [], data: [-0.5] }, { name: "hi", dims: [], data: [1.5] }],
      outputs: ["y"],
    });
  });
  await t.step("only max (min omitted)", async () => {
    await assertAgrees({
      nodes: [node("Clip", ["x", "", "hi"], ["y"])],
      inputs: [x],
      initializers: [{ name: "hi", dims: [], data: [0.25] }],
      outputs: ["y"],
    });
  });
  await t.step("min and max from Constants (host)", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["lo"], [attr.float("value_float", -2)]),
        node("Constant", [], ["hi"], [attr.float("value_float", 2)]),
        node("Clip", ["x", "lo", "hi"], ["y"]),
      ],
      inputs: [x],
      outputs: ["y"],
    });
  });
});

Deno.test("ACTIVATION_OPS PRelu matches onnxruntime with per-channel, broadcast and scalar slopes", async (t) => {
  for (const dims of [[5], [1], [4, 1]]) {
    await t.step(`slope [${dims.join(", ")}]`, async () => {
      await assertAgrees({
        nodes: [node("PRelu", ["x", "s"], ["y"])],
        inputs: [floatInput("x", [4, 5], 22, -3, 3)],
        initializers: [floatInput("s", dims, 23, 0, 0.5)],
        outputs: ["y"],
      });
    });
  }
});

const KINK_0 = { kinks: [0] };

/** The activations added for PyTorch exports, each between two parameters, points off their kinks. */
const GRADIENT_CASES: [string, TinyGraph][] = [
  ["Celu alpha=0.5", sandwich([node("Celu", ["h"], ["g"], [attr.float("alpha", 0.5)])], KINK_0)],
  ["HardSwish", sandwich([node("HardSwish", ["h"], ["g"])], { w1: [-4, 4], kinks: [-3, 3] })],
  ["Mish", { ...sandwich([node("Mish", ["h"], ["g"])]), opset: 18 }],
  [
    "ThresholdedRelu alpha=0.3",
    sandwich([node("ThresholdedRelu", ["h"], ["g"], [attr.float("alpha", 0.3)])], {
      kinks: [0.3],
    }),
  ],
  [
    "PRelu",
    sandwich([node("PRelu", ["h", "s"], ["g"])], {
      initializers: [floatInput("s", [4], 24, 0, 0.5)],
      ...KINK_0,
    }),
  ],
  ["Elu", sandwich([node("Elu", ["h"], ["g"])], KINK_0)],
  ["Selu", sandwich([node("Selu", ["h"], ["g"])], KINK_0)],
];

Deno.test("ACTIVATION_OPS gradients of Celu, HardSwish, Mish, ThresholdedRelu, PRelu, Elu, Selu match float64 central differences", async (t) => {
  await stepGradients(t, GRADIENT_CASES);
});

Deno.test("ACTIVATION_OPS Celu, HardSwish, Mish, ThresholdedRelu, PRelu are twice differentiable (PRelu also in its slope)", async (t) => {
  await stepSecondOrder(t, GRADIENT_CASES);
  await t.step("PRelu, to the slope", async () => {
    await assertSecondOrderOf(GRADIENT_CASES[4]![1], "s", 5);
  });
});

/**
 * PyTorch 1.13's float64 autograd at the kinks (`torch.autograd.grad` of
 * `F.elu`, `F.selu`, `F.celu`, `F.prelu`, `F.leaky_relu`, `F.relu`,
 * `F.hardswish`, `F.hardsigmoid`, `F.threshold(x, 1, 0)`, `torch.abs`, `clamp`).
 */
const TORCH_KINKS: [string, ReturnType<typeof attr.float>[], number, number][] = [
  ["Elu", [], 0, 1],
  ["Elu", [attr.float("alpha", 0.7)], 0, 0.7],
  ["Selu", [], 0, 1.7580993408473766],
  ["Celu", [], 0, 1],
  ["Celu", [attr.float("alpha", 0.5)], 0, 1],
  ["LeakyRelu", [], 0, 0.01],
  ["Relu", [], 0, 0],
  ["HardSwish", [], 3, 1.5],
  ["HardSwish", [], -3, -0.5],
  ["HardSwish", [], 0, 0.5],
  ["HardSigmoid", [attr.float("alpha", 1 / 6)], 3, 0],
  ["HardSigmoid", [attr.float("alpha", 1 / 6)], -3, 0],
  ["ThresholdedRelu", [], 1, 0],
  ["Abs", [], 0, 0],
];

Deno.test("ACTIVATION_OPS derivatives at the kinks are PyTorch's (Elu and Selu at 0: alpha and scale·alpha, not 0)", async (t) => {
  for (const [op, attrs, at, expected] of TORCH_KINKS) {
    await t.step(`${op}'(${at}) ${attrs.map((a) => `${a.name}=${a.f}`).join(" ")}`, async () => {
      const model = buildTfModel(tinyOnnxModel({
        nodes: [node(op, ["x"], ["y"], attrs)],
        inputs: [{ name: "x", dims: [1, 1], data: [] }],
        outputs: [{ name: "y", dims: [1, 1] }],
      }));
      try {
        const jac = await autodiffJacobian(model, Float64Array.of(at), 1);
        assertAlmostEquals(jac[0]![0]![0]!, expected, GRADIENT_TOL.float32, `${op}'(${at})`);
      } finally {
        model.dispose();
      }
    });
  }
  await t.step("PRelu'(0) with slope 0.25 and Clip'(min), Clip'(max)", async () => {
    const model = buildTfModel(tinyOnnxModel({
      nodes: [
        node("PRelu", ["x", "s"], ["p"]),
        node("Clip", ["x", "lo", "hi"], ["c"]),
        node("Concat", ["p", "c"], ["y"], [attr.int("axis", 1)]),
      ],
      inputs: [{ name: "x", dims: [3, 1], data: [] }],
      initializers: [
        { name: "s", dims: [1], data: [0.25] },
        { name: "lo", dims: [], data: [-1] },
        { name: "hi", dims: [], data: [2] },
      ],
      outputs: [{ name: "y", dims: [3, 2] }],
    }));
    try {
      const jac = await autodiffJacobian(model, Float64Array.of(0, -1, 2), 3);
      assertAlmostEquals(jac[0]![0]![0]!, 0.25, GRADIENT_TOL.float32, "PRelu'(0)");
      assertAlmostEquals(jac[1]![1]![0]!, 1, GRADIENT_TOL.float32, "Clip'(min)");
      assertAlmostEquals(jac[2]![1]![0]!, 1, GRADIENT_TOL.float32, "Clip'(max)");
    } finally {
      model.dispose();
    }
  });
});
