import { assertEquals, assertThrows } from "../_assert.ts";
import {
  broadcastShapes,
  evaluateRecipe,
  formatRecipe,
  type Recipe,
  recipeKeys,
  recipeShape,
} from "../../lib/weights/recipe.ts";
import type { StateTensor } from "../../lib/weights/state_dict.ts";

const dict = new Map<string, StateTensor>([
  ["w", {
    shape: [2, 3, 2],
    dtype: "float32",
    data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
  }],
  ["s", { shape: [2, 3], dtype: "float64", data: new Float64Array([0.5, 1, 2, -1, 0.1, 3]) }],
  ["g", { shape: [1, 5], dtype: "float32", data: new Float32Array([-1, -0.5, 0, 0.5, 1.25]) }],
]);
const param = (key: string): Recipe => ({ op: "param", key });

Deno.test("evaluateRecipe() computes a scaled, flattened, transposed weight like efficient-KAN's", () => {
  const recipe: Recipe = {
    op: "transpose",
    of: {
      op: "reshape",
      shape: [2, 6],
      of: { op: "mul", a: param("w"), b: { op: "unsqueeze", of: param("s") } },
    },
  };
  assertEquals(recipeShape(recipe, (k) => dict.get(k)?.shape), [6, 2]);
  assertEquals(recipeKeys(recipe), ["w", "s"]);
  assertEquals(formatRecipe(recipe), "(w * s[..., None]).reshape(2, 6).T");
  const value = evaluateRecipe(recipe, dict, (x) => x);
  // Row o of the product is w[o, i, c] * s[o, i], flattened over (i, c); then transposed.
  const product = [0.5, 1, 3, 4, 10, 12, -7, -8, 0.9, 1, 33, 36];
  const expected = new Float64Array(12);
  for (let o = 0; o < 2; o++) for (let k = 0; k < 6; k++) expected[k * 2 + o] = product[o * 6 + k]!;
  assertEquals(value.shape, [6, 2]);
  assertEquals(value.data, expected);
});

Deno.test("evaluateRecipe() rounds every step to float32 when asked", () => {
  const recipe: Recipe = { op: "mul", a: param("w"), b: { op: "unsqueeze", of: param("s") } };
  const value = evaluateRecipe(recipe, dict, Math.fround);
  assertEquals(value.data[8], Math.fround(Math.fround(0.1) * 9));
  assertEquals(value.data[8] === 0.9, false);
});

Deno.test("evaluateRecipe() computes knot slices, differences and reciprocals", () => {
  const diff: Recipe = {
    op: "sub",
    a: { op: "slice", of: param("g"), start: 2, end: 5 },
    b: { op: "slice", of: param("g"), start: 0, end: 3 },
  };
  assertEquals(formatRecipe(diff), "g[..., 2:5] - g[..., 0:3]");
  assertEquals(evaluateRecipe(diff, dict, Math.fround).data, new Float64Array([1, 1, 1.25]));
  const inv: Recipe = { op: "reciprocal", of: diff };
  assertEquals(formatRecipe(inv), "1 / (g[..., 2:5] - g[..., 0:3])");
  assertEquals(
    evaluateRecipe(inv, dict, Math.fround).data,
    new Float64Array([1, 1, 0.800000011920929]),
  );
});

Deno.test("broadcastShapes() follows NumPy rules and recipeShape() rejects what does not fit", () => {
  assertEquals(broadcastShapes([2, 3, 1], [3, 4]), [2, 3, 4]);
  assertEquals(broadcastShapes([2, 3], [4]), undefined);
  const shapeOf = (k: string) => dict.get(k)?.shape;
  assertEquals(recipeShape({ op: "transpose", of: param("w") }, shapeOf), undefined);
  assertEquals(recipeShape({ op: "slice", of: param("g"), start: 3, end: 6 }, shapeOf), undefined);
  assertThrows(
    () => evaluateRecipe(param("missing"), dict, (x) => x),
    RangeError,
    'no state_dict key "missing"',
  );
});

Deno.test("evaluateRecipe() takes slices and indices along any axis, as PyTorch's c[0:1], c[:, 1], c[1]", () => {
  // w = arange(1, 13).reshape(2, 3, 2)
  const shapeOf = (k: string) => dict.get(k)?.shape;
  const first: Recipe = { op: "slice", of: param("w"), axis: 0, start: 1, end: 2 };
  assertEquals(formatRecipe(first), "w[1:2]");
  assertEquals(recipeShape(first, shapeOf), [1, 3, 2]);
  assertEquals(evaluateRecipe(first, dict, (x) => x).data, new Float64Array([7, 8, 9, 10, 11, 12]));
  const middle: Recipe = { op: "slice", of: param("w"), axis: 1, start: 1, end: 3 };
  assertEquals(formatRecipe(middle), "w[:, 1:3]");
  assertEquals(
    evaluateRecipe(middle, dict, (x) => x).data,
    new Float64Array([3, 4, 5, 6, 9, 10, 11, 12]),
  );
  const index: Recipe = { op: "index", of: param("w"), axis: 1, index: 2 };
  assertEquals(formatRecipe(index), "w[:, 2]");
  assertEquals(recipeShape(index, shapeOf), [2, 2]);
  assertEquals(evaluateRecipe(index, dict, (x) => x).data, new Float64Array([5, 6, 11, 12]));
  assertEquals(recipeShape({ op: "index", of: param("w"), axis: 0, index: 2 }, shapeOf), undefined);
  assertEquals(recipeKeys(index), ["w"]);
});

Deno.test("evaluateRecipe() concatenates parts along an axis, as torch.cat", () => {
  const shapeOf = (k: string) => dict.get(k)?.shape;
  // s [2, 3] next to w[:, :, 0] [2, 3] along axis 1, then along axis 0.
  const col: Recipe = { op: "index", of: param("w"), axis: 2, index: 0 };
  const along1: Recipe = { op: "concat", parts: [param("s"), col], axis: 1 };
  assertEquals(formatRecipe(along1), "torch.cat([s, w[:, :, 0]], 1)");
  assertEquals(recipeShape(along1, shapeOf), [2, 6]);
  assertEquals(
    evaluateRecipe(along1, dict, (x) => x).data,
    new Float64Array([0.5, 1, 2, 1, 3, 5, -1, 0.1, 3, 7, 9, 11]),
  );
  const along0: Recipe = { op: "concat", parts: [param("s"), col], axis: 0 };
  assertEquals(recipeShape(along0, shapeOf), [4, 3]);
  assertEquals(
    evaluateRecipe(along0, dict, (x) => x).data,
    new Float64Array([0.5, 1, 2, -1, 0.1, 3, 1, 3, 5, 7, 9, 11]),
  );
  assertEquals(recipeKeys(along1), ["s", "w"]);
  assertEquals(
    recipeShape({ op: "concat", parts: [param("s"), param("g")], axis: 0 }, shapeOf),
    undefined,
  );
});
