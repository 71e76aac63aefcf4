import { assertGradientsMatch, sandwich, stepSecondOrder } from "../_gradients.ts";
import {
  assertAgrees,
  attr,
  floatInput,
  int64,
  node,
  type TinyGraph,
  type TinyTensor,
} from "../_tiny_graph.ts";

const X = floatInput("x", [2, 3, 4], 101);

Deno.test("SHAPE_OPS Shape (with start/end) -> Gather -> Unsqueeze -> Concat -> Reshape matches onnxruntime", async (t) => {
  await t.step("flatten the trailing axes through shape arithmetic", async () => {
    await assertAgrees({
      nodes: [
        node("Shape", ["x"], ["s"]),
        node("Gather", ["s", "zero"], ["n"], [attr.int("axis", 0)]),
        node("Unsqueeze", ["n", "ax0"], ["n1"]),
        node("Concat", ["n1", "minus1"], ["shape"], [attr.int("axis", 0)]),
        node("Reshape", ["x", "shape"], ["y"]),
      ],
      inputs: [X],
      initializers: [int64("zero", [0], []), int64("ax0", [0]), int64("minus1", [-1])],
      outputs: ["y", { name: "s", dataType: 7 }],
    });
  });
  for (const [start, end] of [[1, 3], [-2, 10], [0, -1]]) {
    await t.step(`Shape start=${start} end=${end}`, async () => {
      await assertAgrees({
        nodes: [node("Shape", ["x"], ["s"], [attr.int("start", start!), attr.int("end", end!)])],
        inputs: [X],
        outputs: [{ name: "s", dataType: 7 }],
      });
    });
  }
});

Deno.test("SHAPE_OPS Gather matches onnxruntime on tensors and host values, negative and 2-D indices", async (t) => {
  for (const axis of [0, 1, -1]) {
    await t.step(`tensor data, axis ${axis}`, async () => {
      await assertAgrees({
        nodes: [node("Gather", ["x", "i"], ["y"], [attr.int("axis", axis)])],
        inputs: [X],
        initializers: [int64("i", [1, -1, 0, 1], [2, 2])],
        outputs: ["y"],
      });
    });
  }
  await t.step("scalar index", async () => {
    await assertAgrees({
      nodes: [node("Gather", ["x", "i"], ["y"], [attr.int("axis", 1)])],
      inputs: [X],
      initializers: [int64("i", [-2], [])],
      outputs: ["y"],
    });
  });
  await t.step("host data (a Constant), index fed as a tensor", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [3, 2], 102))]),
        node("Gather", ["c", "i"], ["y"], [attr.int("axis", 0)]),
      ],
      inputs: [int64("i", [2, 0, -1])],
      outputs: ["y"],
    });
  });
  await t.step("host data and host index (folded)", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [3, 2], 103))]),
        node("Gather", ["c", "i"], ["g"], [attr.int("axis", 1)]),
        node("Add", ["x2", "g"], ["y"]),
      ],
      inputs: [floatInput("x2", [3, 2], 104)],
      initializers: [int64("i", [1, 0])],
      outputs: ["y"],
    });
  });
});

Deno.test("SHAPE_OPS Unsqueeze and Squeeze match onnxruntime in attribute (opset 11) and input (opset 13) forms", async (t) => {
  await t.step("Unsqueeze axes attribute, opset 11", async () => {
    await assertAgrees({
      nodes: [node("Unsqueeze", ["x"], ["y"], [attr.ints("axes", [0, -1])])],
      inputs: [X],
      outputs: ["y"],
      opset: 11,
    });
  });
  await t.step("Unsqueeze axes input, opset 13", async () => {
    await assertAgrees({
      nodes: [node("Unsqueeze", ["x", "a"], ["y"])],
      inputs: [X],
      initializers: [int64("a", [1, 4])],
      outputs: ["y"],
    });
  });
  const Y = floatInput("y0", [2, 1, 3, 1], 105);
  await t.step("Squeeze axes attribute, opset 11", async () => {
    await assertAgrees({
      nodes: [node("Squeeze", ["y0"], ["y"], [attr.ints("axes", [-1])])],
      inputs: [Y],
      outputs: ["y"],
      opset: 11,
    });
  });
  await t.step("Squeeze axes input, opset 13", async () => {
    await assertAgrees({
      nodes: [node("Squeeze", ["y0", "a"], ["y"])],
      inputs: [Y],
      initializers: [int64("a", [1])],
      outputs: ["y"],
    });
  });
  await t.step("Squeeze without axes", async () => {
    await assertAgrees({ nodes: [node("Squeeze", ["y0"], ["y"])], inputs: [Y], outputs: ["y"] });
  });
});

Deno.test("SHAPE_OPS Reshape (0, -1, allowzero) and Flatten match onnxruntime", async (t) => {
  for (const shape of [[0, -1], [-1, 4], [4, 0, 2], [24]]) {
    await t.step(`Reshape to [${shape}]`, async () => {
      await assertAgrees({
        nodes: [node("Reshape", ["x", "s"], ["y"])],
        inputs: [X],
        initializers: [int64("s", shape)],
        outputs: ["y"],
      });
    });
  }
  await t.step("Reshape allowzero=1 to an empty tensor", async () => {
    await assertAgrees({
      nodes: [node("Reshape", ["e", "s"], ["y"], [attr.int("allowzero", 1)])],
      inputs: [{ name: "e", dims: [0, 3], data: [] }],
      initializers: [int64("s", [3, 0])],
      outputs: ["y"],
    });
  });
  for (const axis of [0, 1, 2, -1, 3]) {
    await t.step(`Flatten axis ${axis}`, async () => {
      await assertAgrees({
        nodes: [node("Flatten", ["x"], ["y"], [attr.int("axis", axis)])],
        inputs: [X],
        outputs: ["y"],
      });
    });
  }
});

Deno.test("SHAPE_OPS Concat matches onnxruntime on tensors, mixed host/tensor and host values", async (t) => {
  await t.step("tensors along axis -1", async () => {
    await assertAgrees({
      nodes: [node("Concat", ["x", "z"], ["y"], [attr.int("axis", -1)])],
      inputs: [X, floatInput("z", [2, 3, 2], 106)],
      outputs: ["y"],
    });
  });
  await t.step("tensor with a Constant along axis 1", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [2, 1, 4], 107))]),
        node("Concat", ["x", "c"], ["y"], [attr.int("axis", 1)]),
      ],
      inputs: [X],
      outputs: ["y"],
    });
  });
  await t.step("host ints", async () => {
    await assertAgrees({
      nodes: [
        node("Concat", ["a", "b"], ["s"], [attr.int("axis", 0)]),
        node("Reshape", ["x", "s"], ["y"]),
      ],
      inputs: [X],
      initializers: [int64("a", [6]), int64("b", [4])],
      outputs: ["y"],
    });
  });
});

Deno.test("SHAPE_OPS Slice matches onnxruntime: negative, clamped, stepped indices; attribute and input forms", async (t) => {
  const cases: { starts: number[]; ends: number[]; axes?: number[]; steps?: number[] }[] = [
    { starts: [1], ends: [3], axes: [2] },
    { starts: [-3, 0], ends: [-1, 100], axes: [-1, 0] },
    { starts: [0, 1, 0], ends: [2, 3, 4] },
    { starts: [3], ends: [-100], axes: [2], steps: [-1] },
    { starts: [0], ends: [4], axes: [2], steps: [2] },
    { starts: [-1, 2], ends: [-100, 0], axes: [1, 2], steps: [-2, -1] },
    { starts: [2], ends: [1], axes: [1] },
  ];
  for (const [i, c] of cases.entries()) {
    await t.step(`inputs ${JSON.stringify(c)}`, async () => {
      const names = [
        "x",
        "st",
        "en",
        ...(c.axes ? ["ax"] : c.steps ? [""] : []),
        ...(c.steps ? ["sp"] : []),
      ];
      await assertAgrees({
        nodes: [node("Slice", names, ["y"])],
        inputs: [X],
        initializers: [
          int64("st", c.starts),
          int64("en", c.ends),
          ...(c.axes ? [int64("ax", c.axes)] : []),
          ...(c.steps ? [int64("sp", c.steps)] : []),
        ],
        outputs: ["y"],
      });
    });
    await t.step(`the same on a host value (case ${i})`, async () => {
      const names = [
        "c",
        "st",
        "en",
        ...(c.axes ? ["ax"] : c.steps ? [""] : []),
        ...(c.steps ? ["sp"] : []),
      ];
      await assertAgrees({
        nodes: [
          node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [2, 3, 4], 108))]),
          node("Slice", names, ["y"]),
        ],
        inputs: [],
        initializers: [
          int64("st", c.starts),
          int64("en", c.ends),
          ...(c.axes ? [int64("ax", c.axes)] : []),
          ...(c.steps ? [int64("sp", c.steps)] : []),
        ],
        outputs: ["y"],
      });
    });
  }
  await t.step("attribute form, opset 9", async () => {
    await assertAgrees({
      nodes: [
        node("Slice", ["x"], ["y"], [
          attr.ints("starts", [1, -2]),
          attr.ints("ends", [1000, -1]),
          attr.ints("axes", [1, 2]),
        ]),
      ],
      inputs: [X],
      outputs: ["y"],
      opset: 9,
    });
  });
});

Deno.test("SHAPE_OPS Expand, Transpose and Range match onnxruntime", async (t) => {
  await t.step("Expand [3, 1] to [2, 3, 4]", async () => {
    await assertAgrees({
      nodes: [node("Expand", ["z", "s"], ["y"])],
      inputs: [floatInput("z", [3, 1], 109)],
      initializers: [int64("s", [2, 1, 4])],
      outputs: ["y"],
    });
  });
  await t.step("Expand a host value", async () => {
    await assertAgrees({
      nodes: [
        node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [1, 4], 110))]),
        node("Expand", ["c", "s"], ["y"]),
      ],
      inputs: [],
      initializers: [int64("s", [3, 1])],
      outputs: ["y"],
    });
  });
  for (const perm of [undefined, [0, 2, 1], [2, 0, 1]]) {
    await t.step(`Transpose perm ${perm}`, async () => {
      await assertAgrees({
        nodes: [node("Transpose", ["x"], ["y"], perm ? [attr.ints("perm", perm)] : [])],
        inputs: [X],
        outputs: ["y"],
      });
    });
    await t.step(`Transpose a host value, perm ${perm}`, async () => {
      await assertAgrees({
        nodes: [
          node("Constant", [], ["c"], [attr.tensor("value", floatInput("c", [2, 3, 4], 111))]),
          node("Transpose", ["c"], ["y"], perm ? [attr.ints("perm", perm)] : []),
        ],
        inputs: [],
        outputs: ["y"],
      });
    });
  }
  await t.step("Range of ints and floats", async () => {
    await assertAgrees({
      nodes: [node("Range", ["a", "b", "d"], ["y"])],
      inputs: [],
      initializers: [int64("a", [10], []), int64("b", [-3], []), int64("d", [-3], [])],
      outputs: [{ name: "y", dataType: 7 }],
    });
    await assertAgrees({
      nodes: [
        node("Constant", [], ["a"], [attr.float("value_float", 0.5)]),
        node("Constant", [], ["b"], [attr.float("value_float", 2.2)]),
        node("Constant", [], ["d"], [attr.float("value_float", 0.25)]),
        node("Range", ["a", "b", "d"], ["y"]),
      ],
      inputs: [],
      outputs: ["y"],
    });
  });
});

/** An indexing op between two parameters: x [5, 4] -> Gemm -> h [5, 5] -> nodes -> g [5, width]. */
function throughIndexing(nodes: TinyGraph["nodes"], width: number, inits: TinyTensor[] = []) {
  return sandwich(nodes, { n: 4, k: 5, width, initializers: inits, w1: [-1.5, 1.5] });
}

const INDEXING_CASES: [string, TinyGraph][] = [
  [
    "Gather of a tensor, repeated and negative indices",
    throughIndexing([node("Gather", ["h", "i"], ["g"], [attr.int("axis", 1)])], 6, [
      int64("i", [2, 0, 2, -1, 4, 2]),
    ]),
  ],
  [
    "Gather of a tensor along axis 0 of a parameter-scaled matrix, 2-D indices",
    throughIndexing(
      [
        node("Mul", ["h", "h"], ["hh"]),
        node("Transpose", ["hh"], ["t"], [attr.ints("perm", [1, 0])]),
        node("Gather", ["t", "i"], ["gt"], [attr.int("axis", 0)]),
        node("Reshape", ["gt", "s"], ["r"]),
        node("Transpose", ["r"], ["g"], [attr.ints("perm", [1, 0])]),
      ],
      4,
      [int64("i", [3, 1, 1, 0], [2, 2]), int64("s", [4, 5])],
    ),
  ],
  [
    "Slice with step 2",
    throughIndexing([node("Slice", ["h", "st", "en", "ax", "sp"], ["g"])], 3, [
      int64("st", [0]),
      int64("en", [5]),
      int64("ax", [1]),
      int64("sp", [2]),
    ]),
  ],
  [
    "Slice with step -2 and a step-1 axis",
    throughIndexing([node("Slice", ["h", "st", "en", "ax", "sp"], ["g"])], 2, [
      int64("st", [0, 4]),
      int64("en", [5, 0]),
      int64("ax", [0, 1]),
      int64("sp", [1, -2]),
    ]),
  ],
];

Deno.test("SHAPE_OPS gradients through Gather of a tensor and strided Slice match float64 central differences (no UnsortedSegmentSum)", async (t) => {
  for (const [label, graph] of INDEXING_CASES) {
    await t.step(label, async () => {
      await assertAgrees(graph);
      await assertGradientsMatch(graph, 5);
    });
  }
});

Deno.test("SHAPE_OPS Gather of a tensor and strided Slice are twice differentiable", async (t) => {
  await stepSecondOrder(t, INDEXING_CASES);
});
