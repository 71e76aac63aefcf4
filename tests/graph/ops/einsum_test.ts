import { UnsupportedNodeError } from "../../../lib/graph/errors.ts";
import { buildTfModel } from "../../../lib/graph/tf_model.ts";
import { initTf } from "../../../lib/tf/backend.ts";
import { assertAlmostEquals, assertEquals, assertThrows } from "../../_assert.ts";
import { sandwich, stepGradients, stepSecondOrder } from "../_gradients.ts";
import {
  assertAgrees,
  floatInput,
  FORWARD_TOL,
  node,
  runOrt,
  runTf,
  type TinyGraph,
  tinyOnnxModel,
  type TinyTensor,
} from "../_tiny_graph.ts";

const equation = (text: string) => ({
  name: "equation",
  type: 3,
  s: new TextEncoder().encode(text),
});

/** Equation and operand shapes. */
const CASES: [string, number[][]][] = [
  ["bid,iod->bo", [[5, 3, 4], [3, 2, 4]]],
  ["bij,jk->bik", [[2, 3, 4], [4, 5]]],
  ["bij,jk", [[2, 3, 4], [4, 5]]],
  ["ij,jk", [[3, 4], [4, 2]]],
  ["bi,bi->b", [[4, 3], [4, 3]]],
  ["bi,ij,jk->bk", [[4, 3], [3, 5], [5, 2]]],
  ["bij,bjk->bik", [[3, 2, 4], [3, 4, 2]]],
  ["bij,bjk->bik", [[1, 2, 4], [3, 4, 2]]],
  ["...ij,jk->...ik", [[2, 3, 2, 4], [4, 3]]],
  ["...i,...i", [[2, 3, 4], [2, 1, 4]]],
  ["i,j->ij", [[3], [4]]],
  ["bij->bji", [[2, 3, 4]]],
  ["bij->b", [[2, 3, 4]]],
  ["bij", [[2, 3, 4]]],
];

function einsumGraph(text: string, shapes: number[][]): TinyGraph {
  const names = shapes.map((_, k) => `x${k}`);
  return {
    nodes: [node("Einsum", names, ["y"], [equation(text)])],
    inputs: shapes.map((dims, k) => floatInput(names[k]!, dims, 681 + k)),
    outputs: ["y"],
    opset: 12,
  };
}

Deno.test("EINSUM_OPS Einsum matches onnxruntime: KAN contractions, implicit output, ellipsis, broadcasting, 1-3 operands", async (t) => {
  for (const [text, shapes] of CASES) {
    await t.step(`"${text}" on ${shapes.map((s) => `[${s.join(",")}]`).join(" ")}`, async () => {
      await assertAgrees(einsumGraph(text, shapes));
    });
  }
});

Deno.test("EINSUM_OPS Einsum's implicit output puts upper-case indices first, as numpy and PyTorch do", async () => {
  // onnxruntime refuses upper case in an implicit output: compare with its explicit form.
  const expected = await runOrt(einsumGraph("Bi,ia->Ba", [[2, 3], [3, 4]]));
  const actual = await runTf(einsumGraph("Bi,ia", [[2, 3], [3, 4]]));
  const [e, a] = [expected.get("y")!, actual.get("y")!];
  assertEquals(a.dims, [2, 4]);
  e.data.forEach((v, i) =>
    assertAlmostEquals(a.data[i]!, v, FORWARD_TOL.float32 * Math.max(1, Math.abs(v)))
  );
});

/** h [5, 12] -> Reshape -> Einsum with a coefficient parameter `c` -> g [5, width]. */
function kanGraph(text: string, hDims: number[], c: TinyTensor, width: number): TinyGraph {
  return sandwich([
    node("Reshape", ["h", "hs"], ["h3"]),
    node("Einsum", ["h3", "c"], ["e"], [equation(text)]),
    node("Reshape", ["e", "gs"], ["g"]),
  ], {
    k: 12,
    width,
    initializers: [
      c,
      { name: "hs", dims: [hDims.length], data: hDims, dataType: 7 },
      { name: "gs", dims: [2], data: [5, width], dataType: 7 },
    ],
  });
}

const GRADIENT_CASES: [string, TinyGraph][] = [
  ["bid,iod->bo", kanGraph("bid,iod->bo", [5, 3, 4], floatInput("c", [3, 2, 4], 691), 2)],
  ["bij,jk->bik", kanGraph("bij,jk->bik", [5, 3, 4], floatInput("c", [4, 2], 692), 6)],
  ["bij,bj->bi", kanGraph("bij,bj->bi", [5, 3, 4], floatInput("c", [5, 4], 693), 3)],
];

Deno.test("EINSUM_OPS Einsum gradients match float64 central differences", async (t) => {
  await stepGradients(t, GRADIENT_CASES);
});

Deno.test("EINSUM_OPS Einsum is twice differentiable, to the input's weight and to its coefficients", async (t) => {
  await stepSecondOrder(t, GRADIENT_CASES, ["w1", "c"]);
});

Deno.test("EINSUM_OPS refuses diagonals, traces and malformed equations at build time, naming the equation", async (t) => {
  await initTf();
  const cases: [string, number[][], string][] = [
    ["ii->i", [[3, 3]], 'index "i" repeats in "ii" (a diagonal or trace)'],
    ["bii,ij->bj", [[2, 3, 3], [3, 2]], 'index "i" repeats in "bii"'],
    ["ij,jk->ikk", [[2, 3], [3, 2]], 'index "k" repeats in "ikk"'],
    ["ij,jk->iz", [[2, 3], [3, 2]], 'output index "z" is in no operand'],
    ["ij->i", [[2, 3], [3, 2]], "1 operand terms for 2 inputs"],
    ["i1,1k", [[2, 3], [3, 2]], '"1" is not an index letter'],
  ];
  for (const [text, shapes, message] of cases) {
    await t.step(text, () => {
      const names = shapes.map((_, k) => `x${k}`);
      const first = shapes[0]!;
      const model = tinyOnnxModel({
        nodes: [
          node("Reshape", ["x", "s0"], ["x0"]),
          { ...node("Einsum", names, ["e"], [equation(text)]), name: "/layer/Einsum" },
          node("Reshape", ["e", "s"], ["y"]),
        ],
        inputs: [{
          name: "x",
          dims: [first[0]!, first.slice(1).reduce((a, b) => a * b, 1)],
          data: [],
        }],
        initializers: [
          ...shapes.slice(1).map((dims, k) => floatInput(`x${k + 1}`, dims, 694)),
          { name: "s0", dims: [first.length], data: first, dataType: 7 },
          { name: "s", dims: [2], data: [first[0]!, -1], dataType: 7 },
        ],
        outputs: [{ name: "y", dims: [first[0]!, 1] }],
      });
      assertThrows(
        () => buildTfModel(model),
        UnsupportedNodeError,
        `Cannot build the graph of tiny.onnx: node "/layer/Einsum" (Einsum): equation "${text}" is not supported: ${message}`,
      );
    });
  }
});
