/**
 * Recipes: how an ONNX initializer is computed from state_dict tensors. A small
 * expression tree (parameter, transpose, reshape, slice and index along an axis,
 * concatenation, unsqueeze, subtraction, multiplication, reciprocal) with shape inference,
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
    /** Start along the axis, inclusive. */
    readonly start: number;
    /** End along the axis, exclusive. */
    readonly end: number;
    /** The axis, from 0; the last one when absent. */
    readonly axis?: number;
  }
  | {
    /** `of[index]` along `axis`, which is dropped (PyTorch `c[1]`, `c[:, 1]`). */
    readonly op: "index";
    readonly of: Recipe;
    readonly axis: number;
    readonly index: number;
  }
  | {
    /** `torch.cat(parts, axis)`: equal shapes but for `axis`. */
    readonly op: "concat";
    readonly parts: readonly Recipe[];
    readonly axis: number;
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
      case "concat":
        r.parts.forEach(walk);
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
      return `${atom(recipe.of)}[${axisPrefix(recipe.axis)}${recipe.start}:${recipe.end}]`;
    case "index":
      return `${atom(recipe.of)}[${axisPrefix(recipe.axis)}${recipe.index}]`;
    case "concat":
      return `torch.cat([${recipe.parts.map(formatRecipe).join(", ")}], ${recipe.axis})`;
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

/** `"..., "` for the last axis (absent), else one `":, "` per leading axis. */
function axisPrefix(axis: number | undefined): string {
  return axis === undefined ? "..., " : ":, ".repeat(axis);
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
      const axis = recipe.axis ?? s.length - 1;
      const dim = s[axis];
      if (dim === undefined || recipe.start < 0 || recipe.end > dim || recipe.start >= recipe.end) {
        return undefined;
      }
      return s.map((d, i) => (i === axis ? recipe.end - recipe.start : d));
    }
    case "index": {
      const s = recipeShape(recipe.of, shapeOf);
      const dim = s?.[recipe.axis];
      if (!s || dim === undefined || recipe.index < 0 || recipe.index >= dim) return undefined;
      return s.filter((_, i) => i !== recipe.axis);
    }
    case "concat": {
      const shapes = recipe.parts.map((p) => recipeShape(p, shapeOf));
      return concatShape(shapes, recipe.axis);
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

/** Shape of a concatenation along `axis`, or `undefined` if the parts do not fit together. */
function concatShape(
  shapes: readonly (readonly number[] | undefined)[],
  axis: number,
): number[] | undefined {
  const first = shapes[0];
  if (!first || axis < 0 || axis >= first.length) return undefined;
  let total = 0;
  for (const s of shapes) {
    if (!s || s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
      return undefined;
    }
    total += s[axis]!;
  }
  return first.map((d, i) => (i === axis ? total : d));
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
  if (
    memo === undefined || recipe.op === "reshape" || recipe.op === "unsqueeze" ||
    recipe.op === "slice" || recipe.op === "index"
  ) {
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
    case "slice":
    case "index": {
      const x = evaluateRecipe(recipe.of, dict, round, memo);
      const axis = recipe.op === "index" ? recipe.axis : recipe.axis ?? x.shape.length - 1;
      const [start, end] = recipe.op === "index"
        ? [recipe.index, recipe.index + 1]
        : [recipe.start, recipe.end];
      const dim = x.shape[axis];
      if (dim === undefined || start < 0 || end > dim || start >= end) {
        throw incompatible(recipe, x.shape);
      }
      const block = sliceAxis(x, axis, start, end);
      return recipe.op === "index"
        ? { shape: x.shape.filter((_, i) => i !== axis), data: block.data }
        : block;
    }
    case "concat": {
      const parts = recipe.parts.map((p) => evaluateRecipe(p, dict, round, memo));
      const shape = concatShape(parts.map((p) => p.shape), recipe.axis);
      if (shape === undefined) throw incompatible(recipe, ...parts.map((p) => p.shape));
      const outer = shapeSize(shape.slice(0, recipe.axis));
      const inner = shapeSize(shape.slice(recipe.axis + 1));
      const data = new Float64Array(shapeSize(shape));
      let at = 0;
      for (let o = 0; o < outer; o++) {
        for (const p of parts) {
          const run = p.shape[recipe.axis]! * inner;
          data.set(p.data.subarray(o * run, (o + 1) * run), at);
          at += run;
        }
      }
      return { shape, data };
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

/**
 * The block `[start, end)` of `x` along `axis` (other axes whole), row-major.
 *
 * @param x A host array.
 * @param axis The axis, from 0.
 * @param start First index along `axis`, inclusive.
 * @param end Last index along `axis`, exclusive.
 */
export function sliceAxis(x: HostArray, axis: number, start: number, end: number): HostArray {
  const dim = x.shape[axis]!;
  const inner = shapeSize(x.shape.slice(axis + 1));
  const outer = shapeSize(x.shape.slice(0, axis));
  const run = (end - start) * inner;
  const data = new Float64Array(outer * run);
  for (let o = 0; o < outer; o++) {
    const from = (o * dim + start) * inner;
    data.set(x.data.subarray(from, from + run), o * run);
  }
  return { shape: x.shape.map((d, i) => (i === axis ? end - start : d)), data };
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
