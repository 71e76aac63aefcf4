/**
 * Every tangent rule against float64 central differences: a tiny graph per op
 * (the op between two dense layers, so its inputs and outputs vary with every
 * input column), its derivative model's float64 Jacobian and Hessian, and the
 * float32 Jacobian against the float64 one.
 */
import { DataType } from "../../../lib/onnx/tensor.ts";
import { DIFFERENTIABLE_OPS } from "../../../lib/onnx/derivative/mod.ts";
import { assert } from "../../_assert.ts";
import {
  attr,
  floatInput,
  int64,
  node,
  type TinyGraph,
  type TinyTensor,
} from "../../graph/_tiny_graph.ts";
import { checkDerivatives, type CheckOptions } from "./_check.ts";

const X = { name: "x", dims: [1, 3], data: [] } as const;
const W1 = floatInput("w1", [3, 4], 11, -1.5, 1.5);
const W2 = floatInput("w2", [4, 2], 12, -1, 1);
const W3 = floatInput("w3", [3, 4], 13, -1.5, 1.5);

/** `x → Gemm(w1) → z → [ops] → a → Gemm(w2) → y`, plus a second branch `z2 = Gemm(x, w3)`. */
function sandwich(
  ops: ReturnType<typeof node>[],
  extra: TinyTensor[] = [],
  w1: TinyTensor = W1,
): TinyGraph {
  return {
    nodes: [
      node("Gemm", ["x", "w1"], ["z"]),
      node("Gemm", ["x", "w3"], ["z2"]),
      ...ops,
      node("Gemm", ["a", "w2"], ["y"]),
    ],
    inputs: [X],
    initializers: [{ ...w1, name: "w1" }, W2, W3, ...extra],
    outputs: [{ name: "y", dims: [1, 2] }],
  };
}

function unaryCase(op: string, attrs: ReturnType<typeof attr.float>[] = [], w1?: TinyTensor) {
  return sandwich([node(op, ["z"], ["a"], attrs)], [], w1);
}

const small = floatInput("w1", [3, 4], 21, -0.3, 0.3);
const positive = floatInput("w1", [3, 4], 22, 0.1, 0.6);

interface Case {
  readonly label: string;
  readonly graph: TinyGraph;
  readonly options?: CheckOptions;
}

const CASES: Case[] = [
  ...[
    "Abs",
    "Exp",
    "Sin",
    "Cos",
    "Sinh",
    "Cosh",
    "Atan",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Softplus",
    "Softsign",
    "Erf",
    "Neg",
    "Identity",
    "HardSwish",
  ].map((op) => ({ label: op, graph: unaryCase(op) })),
  { label: "Mish (opset 18)", graph: { ...unaryCase("Mish"), opset: 18 } },
  ...["Sqrt", "Log", "Reciprocal"].map((op) => ({ label: op, graph: unaryCase(op, [], positive) })),
  ...["Asin", "Acos", "Tan"].map((op) => ({ label: op, graph: unaryCase(op, [], small) })),
  { label: "LeakyRelu", graph: unaryCase("LeakyRelu", [attr.float("alpha", 0.1)]) },
  { label: "Elu", graph: unaryCase("Elu", [attr.float("alpha", 0.7)]) },
  { label: "Selu", graph: unaryCase("Selu") },
  { label: "Celu", graph: unaryCase("Celu", [attr.float("alpha", 1.3)]) },
  { label: "ThresholdedRelu", graph: unaryCase("ThresholdedRelu", [attr.float("alpha", 0.2)]) },
  { label: "HardSigmoid", graph: unaryCase("HardSigmoid", [attr.float("alpha", 0.4)]) },
  {
    label: "Sign, Floor, Ceil (zero derivative) beside an identity path",
    graph: sandwich([
      node("Sign", ["z"], ["s"]),
      node("Floor", ["z"], ["f"]),
      node("Ceil", ["z2"], ["c"]),
      node("Add", ["s", "f"], ["sf"]),
      node("Add", ["sf", "c"], ["sfc"]),
      node("Add", ["sfc", "z"], ["a"]),
    ]),
  },
  ...["Add", "Sub", "Mul"].map((op) => ({
    label: `${op} of two active operands`,
    graph: sandwich([node(op, ["z", "z2"], ["a"])]),
  })),
  {
    label: "Sub and Div with a constant, broadcast both ways",
    graph: sandwich([
      node("Sub", ["c", "z"], ["s"]),
      node("Div", ["s", "c"], ["a"]),
    ], [floatInput("c", [4], 31, 1, 2)]),
  },
  {
    label: "Mul and Add broadcasting a [N, 1] operand against [N, 4]",
    graph: sandwich([
      node("ReduceSum", ["z2", "ax"], ["r"], [attr.int("keepdims", 1)]),
      node("Mul", ["z", "r"], ["m"]),
      node("Add", ["m", "r"], ["a"]),
    ], [int64("ax", [1])]),
  },
  {
    label: "Div of two active operands",
    graph: sandwich([node("Exp", ["z2"], ["e"]), node("Div", ["z", "e"], ["a"])]),
  },
  ...[2, 3, 1.5].map((p) => ({
    label: `Pow with the constant exponent ${p}`,
    graph: sandwich([
      node("Exp", ["z"], ["e"]),
      node("Pow", ["e", "p"], ["a"]),
    ], [{ name: "p", dims: [], data: [p] }]),
  })),
  {
    label: "Pow with an active exponent",
    graph: sandwich([node("Exp", ["z"], ["e"]), node("Pow", ["e", "z2"], ["a"])]),
  },
  {
    label: "Max and Min of three operands",
    graph: sandwich([
      node("Max", ["z", "z2", "c"], ["mx"]),
      node("Min", ["z", "z2", "c"], ["mn"]),
      node("Add", ["mx", "mn"], ["a"]),
    ], [floatInput("c", [4], 32, -0.5, 0.5)]),
  },
  {
    label: "Sum and Mean of three operands",
    graph: sandwich([
      node("Sum", ["z", "z2", "z"], ["s"]),
      node("Mean", ["z", "z2", "c"], ["mn"]),
      node("Mul", ["s", "mn"], ["a"]),
    ], [floatInput("c", [4], 33)]),
  },
  {
    label: "Where between active and constant branches",
    graph: sandwich([
      node("Greater", ["z", "z2"], ["g"]),
      node("Where", ["g", "z", "z2"], ["w1o"]),
      node("Where", ["g", "c", "z"], ["w2o"]),
      node("Add", ["w1o", "w2o"], ["a"]),
    ], [floatInput("c", [4], 34)]),
  },
  {
    label: "Clip with constant bounds",
    graph: sandwich([node("Clip", ["z", "lo", "hi"], ["a"])], [
      { name: "lo", dims: [], data: [-0.5] },
      { name: "hi", dims: [], data: [0.6] },
    ]),
  },
  {
    label: "PRelu with a per-channel slope",
    graph: sandwich([node("PRelu", ["z", "slope"], ["a"])], [
      floatInput("slope", [4], 35, 0.1, 0.5),
    ]),
  },
  {
    label: "MatMul of [N, 2, 2] by [N, 2, 2], both active",
    graph: sandwich([
      node("Reshape", ["z", "s22"], ["p"]),
      node("Reshape", ["z2", "s22"], ["q"]),
      node("MatMul", ["p", "q"], ["pq"]),
      node("Reshape", ["pq", "s4"], ["a"]),
    ], [int64("s22", [-1, 2, 2]), int64("s4", [-1, 4])]),
  },
  {
    label: "MatMul by a 1-D weight and Unsqueeze",
    graph: {
      nodes: [
        node("Tanh", ["x"], ["t"]),
        node("MatMul", ["t", "v"], ["mv"]),
        node("Unsqueeze", ["mv", "ax"], ["u"]),
        node("Mul", ["u", "x"], ["y"]),
      ],
      inputs: [X],
      initializers: [floatInput("v", [3], 36), int64("ax", [1])],
      outputs: [{ name: "y", dims: [1, 3] }],
    },
  },
  {
    label: "Gemm with transA, transB, alpha, beta and an active C (nodes out of order)",
    graph: {
      nodes: [
        node("Transpose", ["x"], ["xt"], [attr.ints("perm", [1, 0])]),
        node("Gemm", ["xt", "wt", "c"], ["g"], [
          attr.int("transA", 1),
          attr.int("transB", 1),
          attr.float("alpha", 0.7),
          attr.float("beta", 1.3),
        ]),
        node("Gemm", ["x", "w3"], ["c"]),
        node("Tanh", ["g"], ["a"]),
        node("Gemm", ["a", "w2"], ["y"]),
      ],
      inputs: [X],
      initializers: [floatInput("wt", [4, 3], 37), W2, W3],
      outputs: [{ name: "y", dims: [1, 2] }],
    },
  },
  {
    label: "Einsum contractions with one and two active operands",
    graph: sandwich([
      node("Einsum", ["z", "z2"], ["e"], [{ name: "equation", type: 3, s: bytes("bi,bi->b") }]),
      node("Einsum", ["x", "w3"], ["f"], [{ name: "equation", type: 3, s: bytes("bi,ij->bj") }]),
      node("Unsqueeze", ["e", "ax"], ["eu"]),
      node("Mul", ["f", "eu"], ["a"]),
    ], [int64("ax", [1])]),
  },
  {
    label: "Conv1D",
    graph: {
      nodes: [
        node("Reshape", ["x", "s"], ["xr"]),
        node("Conv", ["xr", "k", "kb"], ["c"], [
          attr.ints("kernel_shape", [2]),
          attr.ints("pads", [1, 0]),
        ]),
        node("Tanh", ["c"], ["ct"]),
        node("Flatten", ["ct"], ["y"]),
      ],
      inputs: [X],
      initializers: [
        int64("s", [-1, 1, 3]),
        floatInput("k", [2, 1, 2], 38),
        floatInput("kb", [2], 39),
      ],
      outputs: [{ name: "y", dims: [1, 6] }],
    },
  },
  ...(["ReduceSum", "ReduceMean"] as const).map((op) => ({
    label: `${op} over axis 1, keepdims 0`,
    graph: sandwich([
      node("Mul", ["z", "z2"], ["p"]),
      node(op, ["p", "ax"], ["r"], [attr.int("keepdims", 0)]),
      node("Unsqueeze", ["r", "ax"], ["ru"]),
      node("Mul", ["ru", "z"], ["a"]),
    ], [int64("ax", [1])]),
  })).map((c) =>
    c.label.startsWith("ReduceMean")
      ? {
        ...c,
        graph: {
          ...c.graph,
          nodes: c.graph.nodes.map((n) =>
            n.opType === "ReduceMean"
              ? node("ReduceMean", ["p"], ["r"], [attr.ints("axes", [1]), attr.int("keepdims", 0)])
              : n
          ),
        },
      }
      : c
  ),
  ...(["ReduceMax", "ReduceMin"] as const).map((op) => ({
    label: `${op} over axis 1`,
    graph: sandwich([
      node(op, ["z"], ["r"], [attr.ints("axes", [1]), attr.int("keepdims", 1)]),
      node("Mul", ["r", "z2"], ["a"]),
    ]),
  })),
  {
    label: "ReduceSum and CumSum over axes computed from shapes at run time",
    graph: sandwich([
      node("Shape", ["z"], ["sh"]),
      node("Shape", ["sh"], ["rank"]),
      node("Sub", ["rank", "one"], ["last"]),
      node("ReduceSum", ["z2", "last"], ["r"], [attr.int("keepdims", 1)]),
      node("Squeeze", ["last"], ["axis"]),
      node("CumSum", ["z", "axis"], ["c"]),
      node("Mul", ["c", "r"], ["a"]),
    ], [int64("one", [1])]),
  },
  {
    label: "CumSum along axis 1",
    graph: sandwich([node("CumSum", ["z", "axis"], ["a"])], [
      { name: "axis", dims: [], data: [1], dataType: DataType.INT64 },
    ]),
  },
  {
    label: "Softmax and LogSoftmax",
    graph: sandwich([
      node("Softmax", ["z"], ["s"], [attr.int("axis", -1)]),
      node("LogSoftmax", ["z2"], ["l"], [attr.int("axis", 1)]),
      node("Add", ["s", "l"], ["a"]),
    ]),
  },
  {
    label: "LayerNormalization",
    graph: sandwich([
      node("LayerNormalization", ["z", "scale", "bias"], ["a"], [attr.float("epsilon", 1e-5)]),
    ], [floatInput("scale", [4], 40, 0.5, 1.5), floatInput("bias", [4], 41)]),
  },
  {
    label: "BatchNormalization (inference)",
    graph: sandwich([
      node("BatchNormalization", ["z", "bs", "bb", "bm", "bv"], ["a"]),
    ], [
      floatInput("bs", [4], 42, 0.5, 1.5),
      floatInput("bb", [4], 43),
      floatInput("bm", [4], 44),
      floatInput("bv", [4], 45, 0.5, 2),
    ]),
  },
  {
    label: "Reshape, Flatten, Transpose, Squeeze",
    graph: sandwich([
      node("Reshape", ["z", "s"], ["r"]),
      node("Transpose", ["r"], ["t"], [attr.ints("perm", [0, 2, 1])]),
      node("Flatten", ["t"], ["f"]),
      node("Unsqueeze", ["f", "ax"], ["u"]),
      node("Squeeze", ["u", "ax"], ["sq"]),
      node("Mul", ["sq", "z2"], ["a"]),
    ], [int64("s", [-1, 2, 2]), int64("ax", [1])]),
  },
  {
    label: "Expand, Tile, Concat with a constant, Split, Pad",
    graph: {
      nodes: [
        node("Sin", ["x"], ["s"]),
        node("Slice", ["s", "st", "en", "ax"], ["s1"]),
        node("Expand", ["s1", "shape"], ["e"]),
        node("Tile", ["s", "reps"], ["t"]),
        node("Pad", ["e", "pads"], ["ep"], [{ name: "mode", type: 3, s: bytes("edge") }]),
        node("Shape", ["x"], ["sh"]),
        node("Slice", ["sh", "st0", "en0"], ["b0"]),
        node("Concat", ["b0", "one"], ["shp"], [attr.int("axis", 0)]),
        node("ConstantOfShape", ["shp"], ["c"], [
          attr.tensor("value", { name: "v", dims: [1], data: [0.5] }),
        ]),
        node("Concat", ["ep", "c", "t"], ["cat"], [attr.int("axis", 1)]),
        node("Split", ["cat", "split"], ["p", "q"], [attr.int("axis", 1)]),
        node("Mul", ["p", "q"], ["y"]),
      ],
      inputs: [X],
      initializers: [
        int64("st", [1]),
        int64("en", [2]),
        int64("ax", [1]),
        int64("shape", [1, 2]),
        int64("pads", [0, 1, 0, 0]),
        int64("st0", [0]),
        int64("en0", [1]),
        int64("one", [1]),
        int64("reps", [1, 2]),
        int64("split", [5, 5]),
      ],
      outputs: [{ name: "y", dims: [1, 5] }],
    },
  },
  {
    label: "Slice with steps and negative axes, Gather, Cast and Dropout",
    graph: sandwich([
      node("Slice", ["z", "st", "en", "ax", "step"], ["s"]),
      node("Gather", ["z2", "idx"], ["g"], [attr.int("axis", 1)]),
      node("Mul", ["s", "g"], ["m"]),
      node("Cast", ["m"], ["c"], [attr.int("to", DataType.FLOAT)]),
      node("Dropout", ["c"], ["d"]),
      node("Concat", ["d", "d"], ["a"], [attr.int("axis", 1)]),
    ], [
      int64("st", [0]),
      int64("en", [4]),
      int64("ax", [-1]),
      int64("step", [2]),
      int64("idx", [3, 1]),
    ]),
  },
  {
    label: "The KAN basis pattern: Unsqueeze, broadcast against a grid, Reshape, MatMul",
    graph: {
      nodes: [
        node("Unsqueeze", ["x", "ax"], ["u"]),
        node("Sub", ["u", "grid"], ["d"]),
        node("Div", ["d", "h"], ["q"]),
        node("Mul", ["q", "q"], ["q2"]),
        node("Neg", ["q2"], ["nq"]),
        node("Exp", ["nq"], ["basis"]),
        node("GreaterOrEqual", ["u", "lo"], ["ge"]),
        node("Cast", ["ge"], ["gef"], [attr.int("to", DataType.FLOAT)]),
        node("Mul", ["basis", "gef"], ["masked"]),
        node("Slice", ["masked", "st", "en", "ax2"], ["sl"]),
        node("Reshape", ["sl", "flat"], ["r"]),
        node("MatMul", ["r", "w"], ["y"]),
      ],
      inputs: [X],
      initializers: [
        int64("ax", [2]),
        floatInput("grid", [5], 47, -1, 1),
        { name: "h", dims: [], data: [0.5] },
        floatInput("lo", [3, 5], 48, -0.5, 0),
        int64("st", [1]),
        int64("en", [5]),
        int64("ax2", [2]),
        int64("flat", [-1, 12]),
        floatInput("w", [12, 2], 49),
      ],
      outputs: [{ name: "y", dims: [1, 2] }],
    },
    options: { range: [-0.9, 0.9] },
  },
];

function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

Deno.test("differentiateModel(): every rule matches float64 central differences (J, H) and float32 (J)", async (t) => {
  for (const c of CASES) {
    await t.step(c.label, () => checkDerivatives(c.graph, c.options));
  }
});

Deno.test("differentiateModel() refuses an op without a rule, naming it and its node", async () => {
  const { differentiateModel, UnsupportedDerivativeError } = await import(
    "../../../lib/onnx/derivative/mod.ts"
  );
  const { dynamicModel } = await import("./_check.ts");
  const model = dynamicModel(sandwich([{ ...node("Gizmo", ["z"], ["a"]), domain: "com.example" }]));
  const error = await differentiateModel(model.proto, {
    input: "x",
    targets: [{ output: "y", name: "J" }],
  }).then(() => undefined, (e: unknown) => e);
  assert(error instanceof UnsupportedDerivativeError, String(error));
  assert(error.message.includes('"com.example.Gizmo"') && error.message.includes('"gizmo_a"'));
});

Deno.test("the rule table covers every op the tfjs rebuild supports", async () => {
  const { SUPPORTED_OPS } = await import("../../../lib/graph/ops/mod.ts");
  const missing = SUPPORTED_OPS.filter((op) => !DIFFERENTIABLE_OPS.includes(op));
  assert(missing.length === 0, `no tangent rule for ${missing.join(", ")}`);
});
