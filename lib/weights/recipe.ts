/**
 * Recipes: how an ONNX initializer is computed from state_dict tensors. A small
 * expression tree (parameter, transpose, reshape, slice of the last axis,
 * unsqueeze, subtraction, multiplication, reciprocal) with shape inference,
 * a readable formula, and host evaluation that rounds every step to the
 * initializer's precision (so float32 results match PyTorch's constant
 * folding bit for bit).
 *
 * @module
 */
import { formatShape, shapeSize, type StateDict, toFloat64 } from "./state_dict.ts";

/** An expression computing an initializer from state_dict tensors. */
export type Recipe =
  | { readonly op: "param"; readonly key: string }
  | { readonly op: "transpose"; readonly of: Recipe }
  | { readonly op: "reshape"; readonly of: Recipe; readonly shape: readonly number[] }
  | {
    readonly op: "slice";
    readonly of: Recipe;
    /** Start along the last axis, inclusive. */
    readonly start: number;
    /** End along the last axis, exclusive. */
    readonly end: number;
  }
  | { readonly op: "unsqueeze"; readonly of: Recipe }
  | { readonly op: "sub"; readonly a: Recipe; readonly b: Recipe }
  | { readonly op: "mul"; readonly a: Recipe; readonly b: Recipe }
  | { readonly op: "reciprocal"; readonly of: Recipe };

/** A dense row-major float64 array with a shape (host-side recipe values). */
export interface HostArray {
  /** Dimensions. */
  readonly shape: readonly number[];
  /** Values, row-major, length `shapeSize(shape)`. */
  readonly data: Float64Array;
}

/** The state_dict keys a recipe reads, in first-use order, without repeats. */
export function recipeKeys(recipe: Recipe): string[] {
  const out: string[] = [];
  const walk = (r: Recipe) => {
    switch (r.op) {
      case "param":
        if (!out.includes(r.key)) out.push(r.key);
        return;
      case "sub":
      case "mul":
        walk(r.a);
        walk(r.b);
        return;
      default:
        walk(r.of);
    }
  };
  walk(recipe);
  return out;
}

/**
 * The recipe as a formula in PyTorch notation, e.g.
 * `(layers.0.spline_weight * layers.0.spline_scaler[..., None]).reshape(10, 32).T`.
 */
export function formatRecipe(recipe: Recipe): string {
  switch (recipe.op) {
    case "param":
      return recipe.key;
    case "transpose":
      return `${atom(recipe.of)}.T`;
    case "reshape":
      return `${atom(recipe.of)}.reshape(${recipe.shape.join(", ")})`;
    case "slice":
      return `${atom(recipe.of)}[..., ${recipe.start}:${recipe.end}]`;
    case "unsqueeze":
      return `${atom(recipe.of)}[..., None]`;
    case "sub":
      return `${formatRecipe(recipe.a)} - ${atom(recipe.b)}`;
    case "mul":
      return `${atom(recipe.a)} * ${atom(recipe.b)}`;
    case "reciprocal":
      return `1 / ${atom(recipe.of)}`;
  }
}

function atom(recipe: Recipe): string {
  const text = formatRecipe(recipe);
  return recipe.op === "sub" || recipe.op === "mul" || recipe.op === "reciprocal"
    ? `(${text})`
    : text;
}

/**
 * Result shape of a recipe given the state_dict shapes, or `undefined` when the
 * recipe does not apply (unknown key, incompatible shapes).
 */
export function recipeShape(
  recipe: Recipe,
  shapeOf: (key: string) => readonly number[] | undefined,
): readonly number[] | undefined {
  switch (recipe.op) {
    case "param":
      return shapeOf(recipe.key);
    case "transpose": {
      const s = recipeShape(recipe.of, shapeOf);
      return s && s.length === 2 ? [s[1]!, s[0]!] : undefined;
    }
    case "reshape": {
      const s = recipeShape(recipe.of, shapeOf);
      return s && shapeSize(s) === shapeSize(recipe.shape) ? recipe.shape : undefined;
    }
    case "slice": {
      const s = recipeShape(recipe.of, shapeOf);
      if (!s || s.length === 0) return undefined;
      const last = s[s.length - 1]!;
      if (recipe.start < 0 || recipe.end > last || recipe.start >= recipe.end) return undefined;
      return [...s.slice(0, -1), recipe.end - recipe.start];
    }
    case "unsqueeze": {
      const s = recipeShape(recipe.of, shapeOf);
      return s ? [...s, 1] : undefined;
    }
    case "reciprocal":
      return recipeShape(recipe.of, shapeOf);
    case "sub":
    case "mul": {
      const a = recipeShape(recipe.a, shapeOf);
      const b = recipeShape(recipe.b, shapeOf);
      return a && b ? broadcastShapes(a, b) : undefined;
    }
  }
}

/** NumPy broadcasting of two shapes, or `undefined` if they do not broadcast. */
export function broadcastShapes(
  a: readonly number[],
  b: readonly number[],
): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * Evaluates a recipe on the host, rounding every intermediate with `round`
 * (`Math.fround` for a float32 initializer, the identity for float64).
 *
 * @param recipe The recipe.
 * @param dict State_dict tensors (parameters are first rounded with `round`).
 * @param round Rounding applied to inputs and after every operation.
 * @param memo Optional cache of sub-results across calls with the same `dict` and `round`
 *   (results are shared: do not modify them).
 * @throws {RangeError} If a key is missing or shapes are incompatible, naming the key or formula.
 */
export function evaluateRecipe(
  recipe: Recipe,
  dict: StateDict,
  round: (x: number) => number,
  memo?: Map<string, HostArray>,
): HostArray {
  if (memo === undefined || recipe.op === "reshape" || recipe.op === "unsqueeze") {
    return evaluateNode(recipe, dict, round, memo);
  }
  const id = JSON.stringify(recipe);
  let value = memo.get(id);
  if (value === undefined) memo.set(id, value = evaluateNode(recipe, dict, round, memo));
  return value;
}

function evaluateNode(
  recipe: Recipe,
  dict: StateDict,
  round: (x: number) => number,
  memo: Map<string, HostArray> | undefined,
): HostArray {
  switch (recipe.op) {
    case "param": {
      const t = dict.get(recipe.key);
      if (t === undefined) {
        throw new RangeError(
          `Cannot evaluate ${formatRecipe(recipe)}: no state_dict key "${recipe.key}"`,
        );
      }
      const data = toFloat64(t);
      for (let i = 0; i < data.length; i++) data[i] = round(data[i]!);
      return { shape: [...t.shape], data };
    }
    case "transpose": {
      const x = evaluateRecipe(recipe.of, dict, round, memo);
      if (x.shape.length !== 2) throw incompatible(recipe, x.shape);
      const [r, c] = x.shape as [number, number];
      const data = new Float64Array(r * c);
      for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = x.data[i * c + j]!;
      return { shape: [c, r], data };
    }
    case "reshape": {
      const x = evaluateRecipe(recipe.of, dict, round, memo);
      if (shapeSize(x.shape) !== shapeSize(recipe.shape)) throw incompatible(recipe, x.shape);
      return { shape: [...recipe.shape], data: x.data };
    }
    case "slice": {
      const x = evaluateRecipe(recipe.of, dict, round, memo);
      const last = x.shape[x.shape.length - 1];
      if (last === undefined || recipe.end > last || recipe.start >= recipe.end) {
        throw incompatible(recipe, x.shape);
      }
      const width = recipe.end - recipe.start;
      const rows = x.data.length / last;
      const data = new Float64Array(rows * width);
      for (let r = 0; r < rows; r++) {
        data.set(x.data.subarray(r * last + recipe.start, r * last + recipe.end), r * width);
      }
      return { shape: [...x.shape.slice(0, -1), width], data };
    }
    case "unsqueeze": {
      const x = evaluateRecipe(recipe.of, dict, round, memo);
      return { shape: [...x.shape, 1], data: x.data };
    }
    case "reciprocal": {
      const x = evaluateRecipe(recipe.of, dict, round, memo);
      return { shape: x.shape, data: x.data.map((v) => round(1 / v)) };
    }
    case "sub":
    case "mul": {
      const a = evaluateRecipe(recipe.a, dict, round, memo);
      const b = evaluateRecipe(recipe.b, dict, round, memo);
      const shape = broadcastShapes(a.shape, b.shape);
      if (shape === undefined) throw incompatible(recipe, a.shape, b.shape);
      const f = recipe.op === "sub"
        ? (u: number, v: number) => round(u - v)
        : (u: number, v: number) => round(u * v);
      return { shape, data: broadcastBinary(a, b, shape, f) };
    }
  }
}

function incompatible(recipe: Recipe, ...shapes: (readonly number[])[]): RangeError {
  return new RangeError(
    `Cannot evaluate ${formatRecipe(recipe)}: incompatible shape ${
      shapes.map(formatShape).join(" and ")
    }`,
  );
}

function broadcastBinary(
  a: HostArray,
  b: HostArray,
  shape: readonly number[],
  f: (u: number, v: number) => number,
): Float64Array {
  const rank = shape.length;
  const stridesFor = (s: readonly number[]) => {
    const strides = new Array<number>(rank).fill(0);
    let step = 1;
    for (let i = rank - 1; i >= 0; i--) {
      const d = s[s.length - rank + i] ?? 1;
      strides[i] = d === 1 ? 0 : step;
      step *= d;
    }
    return strides;
  };
  const sa = stridesFor(a.shape);
  const sb = stridesFor(b.shape);
  const count = shapeSize(shape);
  const out = new Float64Array(count);
  const index = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < count; i++) {
    out[i] = f(a.data[ia]!, b.data[ib]!);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      ia += sa[d]!;
      ib += sb[d]!;
      if (index[d]! < shape[d]!) break;
      ia -= shape[d]! * sa[d]!;
      ib -= shape[d]! * sb[d]!;
      index[d] = 0;
    }
  }
  return out;
}
