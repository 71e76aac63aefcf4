import { assertAgrees, attr, floatInput, node } from "../_tiny_graph.ts";

Deno.test("GEMM_OPS Gemm matches onnxruntime for transA/transB, alpha/beta and C broadcasting", async (t) => {
  const cases = [
    { a: [3, 4], b: [4, 2], c: [2], attrs: [] },
    { a: [4, 3], b: [4, 2], c: [3, 2], attrs: [attr.int("transA", 1)] },
    { a: [3, 4], b: [2, 4], c: [1], attrs: [attr.int("transB", 1), attr.float("alpha", 0.5)] },
    {
      a: [4, 3],
      b: [2, 4],
      c: [3, 1],
      attrs: [attr.int("transA", 1), attr.int("transB", 1), attr.float("beta", -2)],
    },
    { a: [3, 4], b: [4, 2], c: null, attrs: [] },
  ];
  for (const [i, c] of cases.entries()) {
    await t.step(`case ${i}`, async () => {
      await assertAgrees({
        nodes: [node("Gemm", c.c ? ["a", "b", "c"] : ["a", "b"], ["y"], c.attrs)],
        inputs: [floatInput("a", c.a, 31 + i)],
        initializers: [
          floatInput("b", c.b, 41 + i),
          ...(c.c ? [floatInput("c", c.c, 51 + i)] : []),
        ],
        outputs: ["y"],
      });
    });
  }
});

Deno.test("GEMM_OPS MatMul matches onnxruntime for 2-D, batched, broadcast and 1-D operands", async (t) => {
  const cases: [number[], number[]][] = [
    [[3, 4], [4, 5]],
    [[2, 3, 4], [4, 5]],
    [[2, 3, 4], [2, 4, 5]],
    [[2, 1, 3, 4], [5, 4, 2]],
    [[4], [4, 5]],
    [[2, 3, 4], [4]],
    [[4], [4]],
  ];
  for (const [i, [da, db]] of cases.entries()) {
    await t.step(`[${da}] x [${db}]`, async () => {
      await assertAgrees({
        nodes: [node("MatMul", ["a", "b"], ["y"])],
        inputs: [floatInput("a", da, 61 + i), floatInput("b", db, 71 + i)],
        outputs: ["y"],
      });
    });
  }
});
