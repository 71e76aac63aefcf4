import { UnsupportedNodeError } from "../../../lib/graph/errors.ts";
import { buildTfModel } from "../../../lib/graph/tf_model.ts";
import { initTf } from "../../../lib/tf/backend.ts";
import { assertThrows } from "../../_assert.ts";
import { sandwich, stepGradients, stepSecondOrder } from "../_gradients.ts";
import {
  assertAgrees,
  attr,
  floatInput,
  int64,
  node,
  type TinyGraph,
  tinyOnnxModel,
} from "../_tiny_graph.ts";

type ConvAttrs = ReturnType<typeof attr.int>[];

/** Label, attributes, weight dims [O, C/group, K] for an input [2, 4, 9]. */
const VARIANTS: [string, ConvAttrs, number[]][] = [
  ["plain, K 3", [], [3, 4, 3]],
  ["pads 1/2", [attr.ints("pads", [1, 2])], [3, 4, 3]],
  ["stride 2, dilation 2, pads 2/1", [
    attr.ints("strides", [2]),
    attr.ints("dilations", [2]),
    attr.ints("pads", [2, 1]),
  ], [2, 4, 3]],
  ["2 groups", [attr.int("group", 2)], [4, 2, 2]],
  ["4 groups (depthwise), pads 1/1", [attr.int("group", 4), attr.ints("pads", [1, 1])], [
    4,
    1,
    3,
  ]],
  ["auto_pad SAME_UPPER, stride 2", [
    { name: "auto_pad", type: 3, s: new TextEncoder().encode("SAME_UPPER") },
    attr.ints("strides", [2]),
  ], [3, 4, 4]],
  ["auto_pad SAME_LOWER", [
    { name: "auto_pad", type: 3, s: new TextEncoder().encode("SAME_LOWER") },
  ], [3, 4, 4]],
  ["auto_pad VALID, K 1", [
    { name: "auto_pad", type: 3, s: new TextEncoder().encode("VALID") },
  ], [5, 4, 1]],
];

Deno.test("CONV_OPS 1-D Conv matches onnxruntime (pads, strides, dilations, groups, auto_pad, with and without bias)", async (t) => {
  for (const [label, attrs, wDims] of VARIANTS) {
    for (const bias of [true, false]) {
      await t.step(`${label}${bias ? ", bias" : ""}`, async () => {
        await assertAgrees({
          nodes: [
            node("Conv", ["x", "w", ...(bias ? ["b"] : [])], ["y"], [
              attr.ints("kernel_shape", [wDims[2]!]),
              ...attrs,
            ]),
          ],
          inputs: [floatInput("x", [2, 4, 9], 701)],
          initializers: [floatInput("w", wDims, 702), floatInput("b", [wDims[0]!], 703)],
          outputs: ["y"],
        });
      });
    }
  }
});

/** h [5, 12] as [5, 2, 6] -> Conv (weight `cw` [3, 2/g, 3]) -> [5, 3, lout] -> g. */
function convGraph(attrs: ConvAttrs, lout: number, group = 1): TinyGraph {
  return sandwich([
    node("Reshape", ["h", "s3"], ["h3"]),
    node("Conv", ["h3", "cw", "cb"], ["c"], [attr.ints("kernel_shape", [3]), ...attrs]),
    node("Reshape", ["c", "s2"], ["g"]),
  ], {
    k: 12,
    width: 4 * lout,
    initializers: [
      floatInput("cw", [4, 2 / group, 3], 704),
      floatInput("cb", [4], 705),
      int64("s3", [5, 2, 6]),
      int64("s2", [5, 4 * lout]),
    ],
  });
}

const GRADIENT_CASES: [string, TinyGraph][] = [
  ["pads 1/1", convGraph([attr.ints("pads", [1, 1])], 6)],
  [
    "stride 2, dilation 2, pads 2/0",
    convGraph([
      attr.ints("strides", [2]),
      attr.ints("dilations", [2]),
      attr.ints("pads", [2, 0]),
    ], 2),
  ],
  ["2 groups", convGraph([attr.int("group", 2)], 4, 2)],
];

Deno.test("CONV_OPS 1-D Conv gradients match float64 central differences (float64 copy rewritten without Conv)", async (t) => {
  await stepGradients(t, GRADIENT_CASES);
});

Deno.test("CONV_OPS 1-D Conv is twice differentiable, to the input's weight and to its own weight", async (t) => {
  await stepSecondOrder(t, GRADIENT_CASES, ["w1", "cw"]);
});

Deno.test("CONV_OPS refuses a 2-D Conv at build time with UnsupportedNodeError", async () => {
  await initTf();
  const model = tinyOnnxModel({
    nodes: [
      node("Reshape", ["x", "s4"], ["x4"]),
      { ...node("Conv", ["x4", "w"], ["c"], [attr.ints("kernel_shape", [2, 2])]), name: "/conv" },
      node("Reshape", ["c", "s2"], ["y"]),
    ],
    inputs: [{ name: "x", dims: [2, 9], data: [] }],
    initializers: [
      floatInput("w", [1, 1, 2, 2], 706),
      int64("s4", [2, 1, 3, 3]),
      int64("s2", [2, 4]),
    ],
    outputs: [{ name: "y", dims: [2, 4] }],
  });
  assertThrows(
    () => buildTfModel(model),
    UnsupportedNodeError,
    'node "/conv" (Conv): a 2-D convolution (kernel [2, 2]) is not supported, only 1-D',
  );
});
