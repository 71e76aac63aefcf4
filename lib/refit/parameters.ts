/**
 * Which tensors a refit trains: one variable per trainable PyTorch state_dict
 * key, and the graph initializers recomputed from them at every step.
 *
 * @module
 */
import type { OnnxModel } from "../onnx/model.ts";
import { DataType } from "../onnx/tensor.ts";
import { type KeyMapping, mapStateDict, type WeightMap } from "../weights/map.ts";
import { recipeKeys } from "../weights/recipe.ts";
import type { StateDict, StateTensor } from "../weights/state_dict.ts";

/** Float state_dict dtypes a refit can train. */
const TRAINABLE_DTYPES = new Set(["float32", "float64", "float16", "bfloat16"]);

/** Initializers with at most this many elements are constants, not weights, without a state_dict. */
const CONSTANT_MAX_ELEMENTS = 16;

/** What a refit trains and how the graph follows. */
export interface TrainingPlan {
  /**
   * `"state_dict"`: the keys are PyTorch state_dict keys; `"initializer"`: no
   * state_dict was available, the keys are ONNX initializer names.
   */
  readonly naming: "state_dict" | "initializer";
  /** The state_dict (or initializer values) the refit starts from; every key is written back. */
  readonly dict: StateDict;
  /** How `dict` maps onto the graph. */
  readonly map: WeightMap;
  /** Keys trained as variables, in `dict` order. */
  readonly trainable: readonly string[];
  /** Keys kept fixed, with the reason, in `dict` order. */
  readonly fixed: readonly { readonly key: string; readonly reason: string }[];
  /**
   * Keys the exporter merged into another key's initializer (tied or equal
   * tensors): written back with the value of `owner`.
   */
  readonly tied: readonly { readonly key: string; readonly owner: string }[];
  /** Initializers recomputed from the variables at every step (every one depends only on them). */
  readonly initializers: readonly string[];
}

/**
 * Plans a refit from a state_dict and its map onto the graph.
 *
 * A key is trained unless one of these holds (the rule, in order): its dtype
 * is not floating point; the map could not place it (`unused`, `unmapped`);
 * its last name component ends in `grid` (FastKAN `rbf.grid`, a
 * `requires_grad=False` Parameter; efficient-KAN `grid`, a buffer); every
 * initializer it reaches is a `derived` constant (slices and differences of a
 * buffer); or the exporter merged it into another key's initializer
 * (`shared`: it is tied to that key and written back with its value, see
 * {@linkcode TrainingPlan.tied}). Each trainable key is one variable even when
 * the graph holds several copies of it (renamed, transposed, fused): every
 * initializer whose recipe uses only trainable keys is recomputed from the
 * variables with `initializerFromParameters`. An initializer that mixes
 * trainable and fixed keys is refused.
 *
 * @param map The weight map of `dict` onto the graph.
 * @param dict The state_dict the refit starts from (same keys and shapes as the map's).
 * @throws {RangeError} If an initializer depends on both trainable and fixed keys.
 */
export function planFromStateDict(map: WeightMap, dict: StateDict): TrainingPlan {
  const trainable: string[] = [];
  const fixed: { key: string; reason: string }[] = [];
  const tied: { key: string; owner: string }[] = [];
  for (const k of map.keys) {
    const tensor = dict.get(k.key);
    const reason = fixedReason(k, tensor);
    if (reason === "shared") {
      tied.push({ key: k.key, owner: ownerOf(map, k.key) });
    } else if (reason !== undefined) {
      fixed.push({ key: k.key, reason });
    } else {
      trainable.push(k.key);
    }
  }
  const trainSet = new Set(trainable);
  const initializers: string[] = [];
  for (const init of map.initializers) {
    const { source } = init;
    if (source.kind !== "param" && source.kind !== "fused" && source.kind !== "derived") continue;
    const keys = recipeKeys(source.recipe);
    const used = keys.filter((key) => trainSet.has(key));
    if (used.length === 0) continue;
    if (used.length !== keys.length) {
      throw new RangeError(
        `Cannot plan the refit of ${map.model}: initializer "${init.name}" depends on trainable ${
          used.join(", ")
        } and fixed ${keys.filter((key) => !trainSet.has(key)).join(", ")}`,
      );
    }
    initializers.push(init.name);
  }
  return { naming: "state_dict", dict, map, trainable, fixed, tied, initializers };
}

/**
 * Plans a refit without a state_dict: the float initializers themselves are
 * the parameters (keys are initializer names). An initializer is trained when
 * its name does not end in `grid` and it has more than 16 elements or a
 * parameter-like name (no `::` and no `/`, which the exporter gives to folded
 * constants); every other one is fixed.
 *
 * @param model The ONNX model.
 */
export function planFromInitializers(model: OnnxModel): TrainingPlan {
  const dict = new Map<string, StateTensor>();
  for (const [name, t] of model.initializers) {
    if (t.dataType !== DataType.FLOAT && t.dataType !== DataType.DOUBLE) continue;
    dict.set(name, {
      shape: [...t.dims],
      dtype: t.dataType === DataType.DOUBLE ? "float64" : "float32",
      data: t.dataType === DataType.DOUBLE
        ? Float64Array.from(t.data as ArrayLike<number>)
        : Float32Array.from(t.data as ArrayLike<number>),
    });
  }
  const map = mapStateDict(model, dict);
  const trainable: string[] = [];
  const fixed: { key: string; reason: string }[] = [];
  for (const [name, t] of dict) {
    const size = t.data.length;
    const reason = /grid$/.test(lastComponent(name))
      ? "a grid"
      : size > CONSTANT_MAX_ELEMENTS || !/::|\//.test(name)
      ? undefined
      : "a small exporter constant";
    if (reason === undefined) trainable.push(name);
    else fixed.push({ key: name, reason });
  }
  return { naming: "initializer", dict, map, trainable, fixed, tied: [], initializers: trainable };
}

function fixedReason(k: KeyMapping, tensor: StateTensor | undefined): string | undefined {
  if (!tensor || !TRAINABLE_DTYPES.has(tensor.dtype)) return `not floating point`;
  if (k.relation === "unused" || k.relation === "unmapped") return `not in the graph`;
  if (/grid$/.test(lastComponent(k.key))) return "a grid";
  if (k.relation === "shared") return "shared";
  if (k.relation === "derived") return "only derived constants in the graph";
  return undefined;
}

function ownerOf(map: WeightMap, key: string): string {
  for (const init of map.initializers) {
    if (!init.sharedBy.includes(key)) continue;
    const { source } = init;
    if (source.kind === "param" || source.kind === "fused" || source.kind === "derived") {
      const owner = recipeKeys(source.recipe)[0];
      if (owner !== undefined) return owner;
    }
  }
  const mapping = map.keys.find((k) => k.key === key);
  const named = mapping?.initializers[0];
  if (named !== undefined) {
    const init = map.initializers.find((i) => i.name === named);
    const s = init?.source;
    if (s && (s.kind === "param" || s.kind === "fused" || s.kind === "derived")) {
      const owner = recipeKeys(s.recipe)[0];
      if (owner !== undefined && owner !== key) return owner;
    }
  }
  throw new RangeError(
    `Cannot plan the refit of ${map.model}: state_dict key "${key}" is shared but its owner is not in the map`,
  );
}

function lastComponent(key: string): string {
  const dot = key.lastIndexOf(".");
  return dot < 0 ? key : key.slice(dot + 1);
}
