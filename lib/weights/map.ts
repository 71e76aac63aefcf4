/**
 * The weight map: how every tensor of a PyTorch state_dict reaches the ONNX
 * graph exported from the same model. `torch.onnx.export` keeps parameters as
 * initializers named like their keys, but constant folding renames and
 * transposes them (`onnx::MatMul_96` = `layers.0.spline_linear.weight`ᵀ), slices
 * them (FourierKAN-style `coeffs[0:1]`, `coeffs[1:2]`), fuses several into one
 * (efficient-KAN's `spline_weight * spline_scaler[..., None]`, `torch.cat`),
 * folds derived constants out of buffers (B-spline knot slices and differences)
 * and deduplicates equal tensors (one initializer, `Identity` nodes for the
 * others). {@linkcode mapStateDict} rediscovers all of that by computing
 * candidate recipes from the state_dict and comparing values, not by names.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import type { HostTensor, OnnxModel } from "../onnx/model.ts";
import { DataType, dataTypeName, isFloatType } from "../onnx/tensor.ts";
import {
  evaluateRecipe,
  formatRecipe,
  type HostArray,
  type Recipe,
  recipeKeys,
  recipeShape,
  sliceAxis,
} from "./recipe.ts";
import {
  formatShape,
  shapeSize,
  type StateDict,
  type StateDtype,
  toFloat64,
  WeightMappingError,
} from "./state_dict.ts";

/**
 * Largest relative difference, `max|a - b| / max|b|`, at which a computed recipe
 * still matches an initializer, by initializer precision. Recipes are evaluated
 * with per-step rounding, so matches are normally exact; this covers an exporter
 * that folded in another order.
 */
export const RECIPE_MATCH_TOLERANCE = { float32: 1e-6, float64: 1e-12 } as const;

/** Float initializers with at most this many elements that match no recipe are constants. */
export const CONSTANT_MAX_ELEMENTS = 16;

/** Keys with more elements than this are not searched for knot differences. */
const DERIVED_MAX_ELEMENTS = 1 << 16;

/** Keys with more elements than this are not searched for slices. */
const VIEW_MAX_ELEMENTS = 1 << 24;

/** How a state_dict key reaches the graph. */
export type KeyRelation =
  /** An initializer has the key's name and shape. */
  | "name"
  /** An initializer under another name holds the key's values unchanged. */
  | "renamed"
  /** An initializer holds the key's 2-D transpose (a folded `Gemm`/`Linear` weight). */
  | "transposed"
  /** An initializer holds the key's values in another shape (possibly transposed). */
  | "reshaped"
  /** Initializers hold parts of the key (`c[0:1]`, `c[1]`), possibly reshaped or transposed. */
  | "sliced"
  /** The exporter deduplicated the key: its values live in an initializer owned by another key. */
  | "shared"
  /** The key is one of several parts folded into an initializer (a product, `torch.cat`). */
  | "fused"
  /**
   * Only constants computed from the key (differences, reciprocals, and slices of a key
   * that also has those, such as B-spline knots) are in the graph.
   */
  | "derived"
  /**
   * The graph reads nothing computed from the key: an integer tensor (e.g.
   * `num_batches_tracked`), or a float tensor whose values reach no initializer while
   * every weight-sized initializer is explained by other keys (a buffer forward never
   * reads, e.g. an RBF layer's `inv_denominator`).
   */
  | "unused"
  /** Nothing in the graph matches the key, and some initializer matches no recipe. */
  | "unmapped";

/** The mapping of one state_dict key. */
export interface KeyMapping {
  /** The state_dict key. */
  readonly key: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its dtype. */
  readonly dtype: StateDtype;
  /** How it reaches the graph. */
  readonly relation: KeyRelation;
  /** Every initializer whose value depends on the key, in graph order. */
  readonly initializers: readonly string[];
  /** A readable account of the relation (the recipe, the owner of a shared value, …). */
  readonly detail: string;
}

/** Where an initializer's value comes from. */
export type InitializerSource =
  | {
    readonly kind: "param";
    /** The state_dict key. */
    readonly key: string;
    /** What the exporter did to it (`slice`: a slice or index of it, then possibly the others). */
    readonly transform: "identity" | "transpose" | "reshape" | "slice";
    /** The recipe (`param`, possibly under `slice` / `index`, `transpose`, `reshape`). */
    readonly recipe: Recipe;
    /** Whether the recipe reproduces the initializer bit for bit. */
    readonly exact: boolean;
  }
  | {
    /** Several keys in one initializer: a product or a concatenation. */
    readonly kind: "fused";
    /** The state_dict keys folded together. */
    readonly parts: readonly string[];
    /** The recipe combining them. */
    readonly recipe: Recipe;
    /** Whether the recipe reproduces the initializer bit for bit. */
    readonly exact: boolean;
  }
  | {
    readonly kind: "derived";
    /** The state_dict key the constant is computed from. */
    readonly from: string;
    /** The recipe (slices, differences, reciprocals of `from`). */
    readonly recipe: Recipe;
    /** Whether the recipe reproduces the initializer bit for bit. */
    readonly exact: boolean;
  }
  /** A small constant of the graph (exponent, epsilon, shape) or a non-float tensor. */
  | { readonly kind: "constant" }
  /** A float tensor that matches no recipe: it may depend on the state_dict in an unknown way. */
  | { readonly kind: "unmatched" };

/** The mapping of one initializer. */
export interface InitializerMapping {
  /** Initializer name. */
  readonly name: string;
  /** Its dims. */
  readonly dims: readonly number[];
  /** ONNX data type code. */
  readonly dataType: number;
  /** Where its value comes from. */
  readonly source: InitializerSource;
  /**
   * Other keys with identical values that also feed this initializer (the exporter
   * deduplicated them); new values for them must stay equal to the recipe's keys.
   */
  readonly sharedBy: readonly string[];
}

/** How a state_dict maps onto an ONNX graph; made by {@linkcode mapStateDict}. */
export interface WeightMap {
  /** The model's source (path). */
  readonly model: string;
  /** One entry per state_dict key, in state_dict order. */
  readonly keys: readonly KeyMapping[];
  /** One entry per initializer, in graph order. */
  readonly initializers: readonly InitializerMapping[];
}

interface Candidate {
  readonly recipe: Recipe;
  readonly kind: "param" | "fused" | "derived";
  readonly transform: "identity" | "transpose" | "reshape" | "slice";
}

/**
 * Maps every state_dict key onto the initializers of an ONNX export of the same model.
 *
 * In order: an initializer with the key's name and shape; an `Identity` node output
 * with the key's name (exporter deduplication); then, for every remaining float
 * initializer, the first recipe whose value matches it — the key itself renamed,
 * transposed or reshaped; a slice or index of it along one axis (`c[0:1]`, `c[:, 2]`),
 * then possibly reshaped or transposed; a product of two keys (`a * b[..., None]`,
 * flattened and transposed as `Linear` needs); a concatenation of keys, each possibly
 * transposed or reshaped (`torch.cat([a, b], 1).T`); or slice differences and their
 * reciprocals along a key's last axis (B-spline knots: the plain slices of a key with
 * such differences count as derived too). Keys with identical values are told apart
 * by the module path in the names of the nodes that consume the initializer
 * (`/layers.1/Sub` → `layers.1.grid`); when the graph says nothing, all of them share
 * it. Small float initializers that match nothing are constants; larger ones are
 * `unmatched`. A float key that reaches no initializer is `unused` when no initializer
 * is `unmatched` (every weight-sized tensor of the graph is explained by other keys),
 * else `unmapped`. Matching is by value: `dict` must hold the weights the file was
 * exported with (names alone suffice only where the exporter kept them).
 *
 * @param model The ONNX model.
 * @param dict The state_dict the model was exported with.
 * @returns The map; keys in dict order, initializers in graph order.
 * @throws {WeightMappingError} If an initializer has a key's name but another shape.
 *
 * @example Usage
 * ```ts
 * import onnxProto from "onnx-proto";
 * import { decodeOnnxModel } from "../onnx/model.ts";
 * import { coverage, mapStateDict } from "./map.ts";
 * // y = x · Wᵀ with W stored transposed under a folded name, as constant folding does
 * const vi = (name: string) => ({
 *   name,
 *   type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: 2 }] } } },
 * });
 * const bytes = onnxProto.onnx.ModelProto.encode({
 *   irVersion: 8,
 *   opsetImport: [{ domain: "", version: 17 }],
 *   graph: {
 *     node: [{ opType: "MatMul", input: ["x", "onnx::MatMul_3"], output: ["y"] }],
 *     initializer: [{ name: "onnx::MatMul_3", dims: [2, 2], dataType: 1, floatData: [1, 3, 2, 4] }],
 *     input: [vi("x")],
 *     output: [vi("y")],
 *   },
 * }).finish();
 * const model = decodeOnnxModel(bytes, "linear.onnx");
 * const dict = new Map([
 *   ["fc.weight", { shape: [2, 2], dtype: "float32" as const, data: new Float32Array([1, 2, 3, 4]) }],
 * ]);
 * const map = mapStateDict(model, dict);
 * if (map.keys[0]!.relation !== "transposed" || coverage(map) !== 1) throw new Error("not mapped");
 * ```
 */
export function mapStateDict(model: OnnxModel, dict: StateDict): WeightMap {
  const graph = model.proto.graph;
  const nodes = graph?.node ?? [];
  const inits = model.initializers;
  const initOrder = [...inits.keys()];

  const identityOf = new Map<string, string>();
  for (const node of nodes) {
    if (node.opType === "Identity" && (node.domain ?? "") === "" && node.input?.[0]) {
      for (const out of node.output ?? []) identityOf.set(out, node.input[0]);
    }
  }
  const resolveIdentity = (name: string): string | undefined => {
    let current = name;
    for (let hops = 0; hops < 16; hops++) {
      const next = identityOf.get(current);
      if (next === undefined) return inits.has(current) && current !== name ? current : undefined;
      current = next;
    }
    return undefined;
  };
  const scopes = consumerScopes(nodes);

  const sources = new Map<string, InitializerSource>();
  const sharedBy = new Map<string, string[]>();
  const keyInfo = new Map<string, { relation: KeyRelation; detail: string }>();
  const keyInits = new Map<string, Set<string>>();
  const addUse = (key: string, init: string) => {
    let set = keyInits.get(key);
    if (!set) keyInits.set(key, set = new Set());
    set.add(init);
  };
  const valuesOf = cache((name: string) => hostValues(inits.get(name)!));

  // 1. By name.
  for (const [key, tensor] of dict) {
    const init = inits.get(key);
    if (!init) continue;
    if (!sameShape(init.dims, tensor.shape)) {
      throw new WeightMappingError(
        `Cannot map weights: state_dict key "${key}" has shape ${formatShape(tensor.shape)} ` +
          `but initializer "${key}" has shape ${formatShape(init.dims)}`,
        key,
      );
    }
    const recipe: Recipe = { op: "param", key };
    const exact = isFloatType(init.dataType) && isFloatDtype(tensor.dtype)
      ? compareValues(valuesOf(key), evaluateRecipe(recipe, dict, rounding(init)).data, init) ===
        "exact"
      : true;
    sources.set(key, { kind: "param", key, transform: "identity", recipe, exact });
    keyInfo.set(key, { relation: "name", detail: `initializer "${key}"` });
    addUse(key, key);
  }

  // 2. Identity node outputs named like a key (exporter deduplication).
  for (const [key, tensor] of dict) {
    if (keyInfo.has(key)) continue;
    const target = resolveIdentity(key);
    if (target === undefined || !sameShape(inits.get(target)!.dims, tensor.shape)) continue;
    keyInfo.set(key, { relation: "shared", detail: `Identity node reads initializer "${target}"` });
    addUse(key, target);
    pushTo(sharedBy, target, key);
  }

  // 3. Every other float initializer: search recipes over the state_dict.
  const classes = equalValueClasses(dict);
  const representatives = [...dict.keys()].filter((k) => classes.get(k)![0] === k);
  const floatReps = representatives.filter((k) => isFloatDtype(dict.get(k)!.dtype));
  // Integer buffers (e.g. polynomial degrees) reach float initializers only through a cast;
  // scalars are left out, so a counter such as num_batches_tracked never claims a constant.
  const integerReps = representatives.filter((k) => {
    const t = dict.get(k)!;
    return !isFloatDtype(t.dtype) && t.dtype !== "bool" && shapeSize(t.shape) > 1;
  });
  const shapeOf = (key: string) => dict.get(key)?.shape;
  const memo32 = new Map<string, HostArray>();
  const memo64 = new Map<string, HostArray>();
  for (const name of initOrder) {
    if (sources.has(name)) continue;
    const init = inits.get(name)!;
    if (!isFloatType(init.dataType)) continue;
    const target = valuesOf(name);
    let found: { candidate: Candidate; exact: boolean } | undefined;
    for (const candidate of candidates(init, floatReps, dict, target, integerReps)) {
      const shape = recipeShape(candidate.recipe, shapeOf);
      if (!shape || !sameShape(shape, init.dims)) continue;
      const memo = init.dataType === DataType.DOUBLE ? memo64 : memo32;
      const value = evaluateRecipe(candidate.recipe, dict, rounding(init), memo).data;
      const match = compareValues(target, value, init);
      if (match === "exact") {
        found = { candidate, exact: true };
        break;
      }
      if (match === "close" && !found) found = { candidate, exact: false };
    }
    if (!found) continue;
    // Choose, among keys with identical values, those the consuming nodes belong to.
    const initScopes = scopes(name, identityOf);
    const substitution = new Map<string, string>();
    const extra: string[] = [];
    for (const key of recipeKeys(found.candidate.recipe)) {
      const members = chooseMembers(classes.get(key)!, initScopes);
      substitution.set(key, members[0]!);
      extra.push(...members.slice(1));
    }
    const recipe = substituteKeys(found.candidate.recipe, substitution);
    const keys = recipeKeys(recipe);
    const { kind, transform } = found.candidate;
    sources.set(
      name,
      kind === "param"
        ? { kind, key: keys[0]!, transform, recipe, exact: found.exact }
        : kind === "fused"
        ? { kind, parts: keys, recipe, exact: found.exact }
        : { kind, from: keys[0]!, recipe, exact: found.exact },
    );
    for (const key of keys) addUse(key, name);
    for (const key of extra) {
      addUse(key, name);
      pushTo(sharedBy, name, key);
    }
  }

  // Slices of a key from which the exporter also computed knot differences are derived too.
  const knotKeys = new Set<string>();
  for (const source of sources.values()) if (source.kind === "derived") knotKeys.add(source.from);
  for (const [name, source] of sources) {
    if (source.kind === "param" && source.transform === "slice" && knotKeys.has(source.key)) {
      sources.set(name, {
        kind: "derived",
        from: source.key,
        recipe: source.recipe,
        exact: source.exact,
      });
    }
  }

  // 4. Remaining initializers: constants, or unmatched.
  for (const name of initOrder) {
    if (sources.has(name)) continue;
    const init = inits.get(name)!;
    sources.set(
      name,
      !isFloatType(init.dataType) || shapeSize(init.dims) <= CONSTANT_MAX_ELEMENTS
        ? { kind: "constant" }
        : { kind: "unmatched" },
    );
  }

  // Key relations from the initializer sources.
  const rank: Record<KeyRelation, number> = {
    name: 0,
    renamed: 1,
    transposed: 1,
    reshaped: 1,
    sliced: 1,
    shared: 2,
    fused: 3,
    derived: 4,
    unused: 5,
    unmapped: 6,
  };
  const propose = (key: string, relation: KeyRelation, detail: string) => {
    const current = keyInfo.get(key);
    if (!current || rank[relation] < rank[current.relation]) keyInfo.set(key, { relation, detail });
  };
  for (const name of initOrder) {
    const source = sources.get(name)!;
    if (source.kind === "param" && name !== source.key) {
      const relation = source.transform === "identity"
        ? "renamed"
        : source.transform === "transpose"
        ? "transposed"
        : source.transform === "slice"
        ? "sliced"
        : "reshaped";
      propose(source.key, relation, `${formatRecipe(source.recipe)} = initializer "${name}"`);
    } else if (source.kind === "fused") {
      for (const part of source.parts) {
        propose(part, "fused", `${formatRecipe(source.recipe)} = initializer "${name}"`);
      }
    } else if (source.kind === "derived") {
      propose(source.from, "derived", `${formatRecipe(source.recipe)} = initializer "${name}"`);
    }
    for (const key of sharedBy.get(name) ?? []) {
      const owner = source.kind === "param"
        ? source.key
        : source.kind === "fused"
        ? source.parts.join(", ")
        : source.kind === "derived"
        ? source.from
        : name;
      propose(key, "shared", `same values as ${owner}; initializer "${name}"`);
    }
  }

  const unmatched = initOrder.filter((name) => sources.get(name)!.kind === "unmatched");
  const notFound = unmatched.length > 0
    ? {
      relation: "unmapped" as const,
      detail: `no initializer matches; ${unmatched.length === 1 ? "initializer" : "initializers"} ${
        quoteList(unmatched)
      } match no recipe`,
    }
    : {
      relation: "unused" as const,
      detail: "the graph reads nothing computed from it (every weight-sized initializer " +
        "is explained by other keys)",
    };
  const keys: KeyMapping[] = [];
  for (const [key, tensor] of dict) {
    const info = keyInfo.get(key) ??
      (isFloatDtype(tensor.dtype)
        ? notFound
        : { relation: "unused" as const, detail: "integer tensor the graph does not use" });
    const used = keyInits.get(key) ?? new Set<string>();
    keys.push({
      key,
      shape: [...tensor.shape],
      dtype: tensor.dtype,
      relation: info.relation,
      initializers: initOrder.filter((n) => used.has(n)),
      detail: info.detail,
    });
  }
  const initializers: InitializerMapping[] = initOrder.map((name) => {
    const init = inits.get(name)!;
    return {
      name,
      dims: [...init.dims],
      dataType: init.dataType,
      source: sources.get(name)!,
      sharedBy: sharedBy.get(name) ?? [],
    };
  });
  return { model: model.source, keys, initializers };
}

/**
 * Fraction of state_dict keys that reach the graph (relation other than
 * `unmapped` and `unused`), in `[0, 1]`; 1 for an empty state_dict.
 */
export function coverage(map: WeightMap): number {
  if (map.keys.length === 0) return 1;
  const mapped = map.keys.filter((k) => k.relation !== "unmapped" && k.relation !== "unused");
  return mapped.length / map.keys.length;
}

/** One row of the `inspect` table. */
export interface WeightMapRow {
  /** Initializer name, or `""` for a key no initializer stands for. */
  readonly initializer: string;
  /** Its shape as text, e.g. `[32, 30]` (the key's shape for key-only rows). */
  readonly shape: string;
  /** The same shape as numbers, e.g. `[32, 30]`. */
  readonly dims: readonly number[];
  /** Element type: the initializer's ONNX type name (`float`, `double`, `int64`), or the key's torch dtype. */
  readonly dtype: string;
  /** `param`, `fused`, `derived`, `shared`, `constant`, `unmatched`, `unused` or `unmapped`. */
  readonly kind: string;
  /** The state_dict key(s) it comes from, comma-separated. */
  readonly keys: string;
  /** The same keys as a list (the keys of deduplicated equal tensors included). */
  readonly stateDictKeys: readonly string[];
  /** The recipe or relation in words. */
  readonly how: string;
}

/**
 * Rows for a table of the map: one per initializer (graph order), then one per
 * key that no initializer row names (deduplicated through an `Identity` node,
 * unused or unmapped).
 */
export function describeWeightMap(map: WeightMap): WeightMapRow[] {
  const rows: WeightMapRow[] = [];
  const named = new Set<string>();
  for (const init of map.initializers) {
    const { source } = init;
    const shared = init.sharedBy.length > 0 ? ` (also ${init.sharedBy.join(", ")})` : "";
    let keys: string[] = [];
    let how = "";
    switch (source.kind) {
      case "param":
        keys = [source.key];
        how = source.transform === "identity" && source.key === init.name
          ? "by name"
          : `${source.transform}: ${formatRecipe(source.recipe)}`;
        break;
      case "fused":
        keys = [...source.parts];
        how = formatRecipe(source.recipe);
        break;
      case "derived":
        keys = [source.from];
        how = formatRecipe(source.recipe);
        break;
      case "constant":
        how = "graph constant";
        break;
      case "unmatched":
        how = "matches no state_dict recipe";
        break;
    }
    if (source.kind === "param") named.add(source.key);
    if (source.kind === "fused") source.parts.forEach((p) => named.add(p));
    if (source.kind === "derived") named.add(source.from);
    init.sharedBy.forEach((k) => named.add(k));
    // By name, the values are the given weights' whatever they were exported with.
    const rounded = "exact" in source && !source.exact && how !== "by name";
    rows.push({
      initializer: init.name,
      shape: formatShape(init.dims),
      dims: init.dims,
      dtype: dataTypeName(init.dataType),
      kind: source.kind,
      keys: keys.join(", ") + (shared && keys.length > 0 ? shared : ""),
      stateDictKeys: keys.length > 0 ? [...keys, ...init.sharedBy] : [],
      how: rounded ? `${how} (to rounding)` : how,
    });
  }
  for (const key of map.keys) {
    if (named.has(key.key)) continue;
    rows.push({
      initializer: "",
      shape: formatShape(key.shape),
      dims: key.shape,
      dtype: key.dtype,
      kind: key.relation,
      keys: key.key,
      stateDictKeys: [key.key],
      how: key.detail,
    });
  }
  return rows;
}

// ------------------------------------------------------------------ internals

/** `"a", "b", "c"` or `"a", "b", "c" and 4 more`. */
function quoteList(names: readonly string[], max = 3): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function isFloatDtype(dtype: StateDtype): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16" || dtype === "bfloat16";
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function pushTo(map: Map<string, string[]>, key: string, value: string) {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

function cache<T>(f: (name: string) => T): (name: string) => T {
  const store = new Map<string, T>();
  return (name) => {
    if (!store.has(name)) store.set(name, f(name));
    return store.get(name)!;
  };
}

/** Rounding of recipe arithmetic for an initializer's precision. */
export function rounding(init: { readonly dataType: number }): (x: number) => number {
  return init.dataType === DataType.DOUBLE ? (x) => x : Math.fround;
}

function hostValues(tensor: HostTensor): Float64Array {
  const { data } = tensor;
  if (data instanceof BigInt64Array) return Float64Array.from(data, (v) => Number(v));
  return Float64Array.from(data);
}

/**
 * `"exact"` (bit for bit), `"close"` (within {@linkcode RECIPE_MATCH_TOLERANCE} of the
 * largest |target|, or of `scale` when given) or `"no"`.
 */
function compareValues(
  target: Float64Array,
  value: Float64Array,
  init: { readonly dataType: number },
  scaleOf = 0,
): "exact" | "close" | "no" {
  if (target.length !== value.length) return "no";
  let exact = true;
  let maxDiff = 0;
  let scale = scaleOf;
  for (let i = 0; i < target.length; i++) {
    const a = target[i]!;
    const b = value[i]!;
    if (a === b || (a !== a && b !== b)) {
      scale = Math.max(scale, Math.abs(a) || 0);
      continue;
    }
    exact = false;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return "no";
    maxDiff = Math.max(maxDiff, Math.abs(a - b));
    scale = Math.max(scale, Math.abs(a));
  }
  if (exact) return "exact";
  const tolerance = init.dataType === DataType.DOUBLE
    ? RECIPE_MATCH_TOLERANCE.float64
    : RECIPE_MATCH_TOLERANCE.float32;
  return maxDiff <= tolerance * scale ? "close" : "no";
}

/** Key → the keys (first one first) with the same shape and identical values. */
function equalValueClasses(dict: StateDict): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const values = cache((key: string) => toFloat64(dict.get(key)!));
  const groups: string[][] = [];
  for (const [key, tensor] of dict) {
    const group = groups.find((g) => {
      const other = dict.get(g[0]!)!;
      return other.dtype === tensor.dtype && sameShape(other.shape, tensor.shape) &&
        equalArrays(values(g[0]!), values(key));
    });
    if (group) group.push(key);
    else groups.push([key]);
  }
  for (const group of groups) for (const key of group) out.set(key, group);
  return out;
}

function equalArrays(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * For an initializer name, the module scopes (`layers.1`, `layers.0.spline_linear`)
 * of the nodes that consume it, directly or through `Identity` nodes.
 */
function consumerScopes(
  nodes: readonly onnxProto.onnx.INodeProto[],
): (name: string, identityOf: ReadonlyMap<string, string>) => string[] {
  const consumers = new Map<string, onnxProto.onnx.INodeProto[]>();
  for (const node of nodes) {
    for (const input of node.input ?? []) {
      const list = consumers.get(input);
      if (list) list.push(node);
      else consumers.set(input, [node]);
    }
  }
  return (name) => {
    const out = new Set<string>();
    const seen = new Set<string>();
    const visit = (value: string) => {
      if (seen.has(value)) return;
      seen.add(value);
      for (const node of consumers.get(value) ?? []) {
        if (node.opType === "Identity") {
          for (const o of node.output ?? []) visit(o);
          continue;
        }
        const parts = (node.name ?? "").split("/").filter((p) => p.length > 0);
        if (parts.length >= 2) out.add(parts.slice(0, -1).join("."));
      }
    };
    visit(name);
    return [...out];
  };
}

/** The members of an equal-value class whose module path fits a consumer scope; all if none does. */
function chooseMembers(members: readonly string[], scopes: readonly string[]): string[] {
  if (members.length === 1) return [...members];
  const fits = members.filter((key) => {
    const module = key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "";
    return scopes.some((s) =>
      s === module || s.startsWith(`${module}.`) || (s.length > 0 && module.startsWith(`${s}.`))
    );
  });
  return fits.length > 0 ? fits : [...members];
}

function substituteKeys(recipe: Recipe, to: ReadonlyMap<string, string>): Recipe {
  switch (recipe.op) {
    case "param":
      return { op: "param", key: to.get(recipe.key) ?? recipe.key };
    case "sub":
    case "mul":
      return { op: recipe.op, a: substituteKeys(recipe.a, to), b: substituteKeys(recipe.b, to) };
    case "transpose":
    case "unsqueeze":
    case "reciprocal":
      return { op: recipe.op, of: substituteKeys(recipe.of, to) };
    case "index":
      return { ...recipe, of: substituteKeys(recipe.of, to) };
    case "concat":
      return { ...recipe, parts: recipe.parts.map((p) => substituteKeys(p, to)) };
    case "reshape":
      return { op: "reshape", of: substituteKeys(recipe.of, to), shape: recipe.shape };
    case "slice":
      return { ...recipe, of: substituteKeys(recipe.of, to) };
  }
}

/** Candidate recipes for an initializer of shape `dims`, most direct first. */
/** `value` (of `shape`) brought to `dims`: as is, reshaped, or transposed (after a reshape to 2-D). */
function* forms(
  value: Recipe,
  shape: readonly number[],
  dims: readonly number[],
): Generator<[Recipe, "identity" | "transpose" | "reshape"]> {
  if (shapeSize(shape) !== shapeSize(dims)) return;
  if (sameShape(shape, dims)) yield [value, "identity"];
  if (dims.length === 2) {
    const flipped = [dims[1]!, dims[0]!];
    const inner: Recipe = sameShape(shape, flipped)
      ? value
      : { op: "reshape", of: value, shape: flipped };
    yield [{ op: "transpose", of: inner }, "transpose"];
  }
  if (!sameShape(shape, dims)) yield [{ op: "reshape", of: value, shape: [...dims] }, "reshape"];
}

/**
 * Candidate recipes for an initializer, most direct first; `target` is its value.
 * `integerKeys` are tried only as themselves (a cast, renamed, transposed or reshaped).
 */
function* candidates(
  init: { readonly dims: readonly number[]; readonly dataType: number },
  keys: readonly string[],
  dict: StateDict,
  target: Float64Array,
  integerKeys: readonly string[] = [],
): Generator<Candidate> {
  const { dims } = init;
  const size = shapeSize(dims);
  const shapeOf = (k: string) => dict.get(k)!.shape;
  const round = rounding(init);
  const valuesOf = cache((k: string) => toFloat64(dict.get(k)!).map(round));
  const scale = target.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  const near = (a: number, b: number) =>
    compareValues(Float64Array.of(a), Float64Array.of(b), init, scale) !== "no";
  // The key itself, renamed / transposed / reshaped.
  for (const key of [...keys, ...integerKeys]) {
    for (const [recipe, transform] of forms({ op: "param", key }, shapeOf(key), dims)) {
      yield { recipe, kind: "param", transform };
    }
  }
  // A slice or index of one axis of a key, then its forms (FourierKAN-style `coeffs[0:1]`).
  // Every form starts with the slice's first element: check it before evaluating.
  for (const key of keys) {
    const s = shapeOf(key);
    const total = shapeSize(s);
    if (total <= size || total > VIEW_MAX_ELEMENTS) continue;
    for (let axis = 0; axis < s.length; axis++) {
      const dim = s[axis]!;
      const rest = total / dim;
      if (size % rest !== 0) continue;
      const width = size / rest;
      const inner = shapeSize(s.slice(axis + 1));
      for (let start = 0; start + width <= dim; start++) {
        if (!near(target[0]!, valuesOf(key)[start * inner]!)) continue;
        const of: Recipe = { op: "param", key };
        const view: Recipe = width === 1 && dims.length === s.length - 1
          ? { op: "index", of, axis, index: start }
          : {
            op: "slice",
            of,
            start,
            end: start + width,
            ...(axis === s.length - 1 ? {} : { axis }),
          };
        const shape = recipeShape(view, shapeOf)!;
        for (const [recipe] of forms(view, shape, dims)) {
          yield { recipe, kind: "param", transform: "slice" };
        }
      }
    }
  }
  // Products a * b[..., None, …] (b's shape a prefix of a's), e.g. efficient-KAN's scaled spline weight.
  for (const a of keys) {
    const sa = shapeOf(a);
    if (shapeSize(sa) !== size || sa.length < 2) continue;
    for (const b of keys) {
      const sb = shapeOf(b);
      if (
        b === a || sb.length === 0 || sb.length >= sa.length || !sb.every((d, i) => d === sa[i])
      ) {
        continue;
      }
      let scaled: Recipe = { op: "param", key: b };
      for (let r = sb.length; r < sa.length; r++) scaled = { op: "unsqueeze", of: scaled };
      const product: Recipe = { op: "mul", a: { op: "param", key: a }, b: scaled };
      for (const [recipe, transform] of forms(product, sa, dims)) {
        yield { recipe, kind: "fused", transform };
      }
    }
  }
  // Concatenations of keys along one axis, each part as is, reshaped or transposed.
  const concat = findConcatenation(init, keys, dict, target, near);
  if (concat) yield { recipe: concat, kind: "fused", transform: "identity" };
  // Differences of two slices of the last axis, their reciprocals (B-spline knots).
  const width = dims[dims.length - 1];
  if (width === undefined) return;
  for (const key of keys) {
    const s = shapeOf(key);
    const last = s[s.length - 1];
    if (
      last === undefined || shapeSize(s) > DERIVED_MAX_ELEMENTS || s.length !== dims.length ||
      !s.slice(0, -1).every((d, i) => d === dims[i]) || width > last
    ) continue;
    const slice = (start: number): Recipe => ({
      op: "slice",
      of: { op: "param", key },
      start,
      end: start + width,
    });
    for (let i = 0; i + width <= last; i++) {
      for (let j = 0; j + width <= last; j++) {
        if (i === j) continue;
        yield {
          recipe: { op: "sub", a: slice(i), b: slice(j) },
          kind: "derived",
          transform: "identity",
        };
      }
    }
    for (let i = 0; i + width <= last; i++) {
      for (let j = 0; j + width <= last; j++) {
        if (i === j) continue;
        yield {
          recipe: { op: "reciprocal", of: { op: "sub", a: slice(i), b: slice(j) } },
          kind: "derived",
          transform: "identity",
        };
      }
    }
  }
}

/**
 * `torch.cat([p1, p2, …], axis)` equal to `target`, each part a key as is, reshaped
 * or transposed, found block by block along each axis in turn (greedy: at every
 * offset, the first key whose form equals the next block); `undefined` if none.
 */
function findConcatenation(
  init: { readonly dims: readonly number[]; readonly dataType: number },
  keys: readonly string[],
  dict: StateDict,
  target: Float64Array,
  near: (a: number, b: number) => boolean,
): Recipe | undefined {
  const { dims } = init;
  const size = shapeSize(dims);
  if (size === 0) return undefined;
  const round = rounding(init);
  const whole: HostArray = { shape: dims, data: target };
  for (let axis = 0; axis < dims.length; axis++) {
    const dim = dims[axis]!;
    const rest = size / dim;
    const parts: Recipe[] = [];
    let at = 0;
    while (at < dim) {
      let piece: { recipe: Recipe; width: number } | undefined;
      for (const key of keys) {
        const tensor = dict.get(key)!;
        const total = shapeSize(tensor.shape);
        const width = total / rest;
        if (!Number.isInteger(width) || width < 1 || width >= dim || at + width > dim) continue;
        const block = sliceAxis(whole, axis, at, at + width);
        if (!near(block.data[0]!, round(toFloat64(tensor)[0]!))) continue;
        for (const [recipe] of forms({ op: "param", key }, tensor.shape, block.shape)) {
          const value = evaluateRecipe(recipe, dict, round).data;
          if (compareValues(block.data, value, init) !== "no") {
            piece = { recipe, width };
            break;
          }
        }
        if (piece) break;
      }
      if (!piece) break;
      parts.push(piece.recipe);
      at += piece.width;
    }
    if (at === dim && parts.length >= 2) return { op: "concat", parts, axis };
  }
  return undefined;
}
