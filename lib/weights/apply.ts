/**
 * Applying a state_dict to an ONNX model through a {@linkcode WeightMap}:
 * new values for every initializer that depends on the state_dict.
 *
 * @module
 */
import type { HostTensor, OnnxModel } from "../onnx/model.ts";
import { DataType } from "../onnx/tensor.ts";
import type { InitializerMapping, WeightMap } from "./map.ts";
import { rounding } from "./map.ts";
import { evaluateRecipe, recipeKeys } from "./recipe.ts";
import {
  formatShape,
  type StateDict,
  type StateTensor,
  toFloat64,
  WeightMappingError,
} from "./state_dict.ts";

/** Options of {@linkcode applyStateDict}. */
export interface ApplyStateDictOptions {
  /**
   * Leave `unmatched` initializers (large float tensors that match no recipe) as they
   * are instead of failing.
   * @default {false}
   */
  allowUnmatched?: boolean;
}

/**
 * New initializer values computed from a state_dict: every initializer whose source
 * is a parameter (by name, renamed, transposed, reshaped), fused or derived is
 * recomputed from `dict` with the recipe found by {@linkcode mapStateDict}, rounded
 * step by step to the initializer's precision. Pass the result to
 * `replaceInitializers(model, values)`.
 *
 * @param model The ONNX model the map was made for.
 * @param dict New weights: the same keys and shapes as the state_dict the map was made from.
 * @param map The weight map (see {@linkcode mapStateDict}).
 * @param options See {@linkcode ApplyStateDictOptions}.
 * @returns Initializer name → new value (dims and data type of the initializer).
 * @throws {WeightMappingError} If `dict` has a key the map does not know, lacks one it needs,
 *   has a shape other than the map's, holds a key the map could not place (`unmapped`),
 *   gives different values to keys the exporter merged into one initializer, or if an
 *   initializer matches no recipe (`unmatched`, unless allowed). The message names the key
 *   or initializer and what would help. Keys the graph does not use (`unused`) are ignored.
 *
 * @example Usage
 * ```ts
 * import onnxProto from "onnx-proto";
 * import { decodeOnnxModel } from "../onnx/model.ts";
 * import { applyStateDict } from "./apply.ts";
 * import { mapStateDict } from "./map.ts";
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
 * const w = (values: number[]) => ({ shape: [2, 2], dtype: "float32" as const, data: new Float32Array(values) });
 * const map = mapStateDict(model, new Map([["fc.weight", w([1, 2, 3, 4])]]));
 * const values = applyStateDict(model, new Map([["fc.weight", w([5, 6, 7, 8])]]), map);
 * if (values.get("onnx::MatMul_3")!.data.join(",") !== "5,7,6,8") throw new Error("not transposed");
 * ```
 */
export function applyStateDict(
  model: OnnxModel,
  dict: StateDict,
  map: WeightMap,
  options: ApplyStateDictOptions = {},
): Map<string, HostTensor> {
  const where = model.source;
  const known = new Map(map.keys.map((k) => [k.key, k]));
  for (const [key, tensor] of dict) {
    const entry = known.get(key);
    if (!entry) {
      throw new WeightMappingError(
        `Cannot apply weights to ${where}: state_dict key "${key}" ${
          formatShape(tensor.shape)
        } is not a parameter of the model`,
        key,
      );
    }
    if (!sameShape(entry.shape, tensor.shape)) {
      throw new WeightMappingError(
        `Cannot apply weights to ${where}: state_dict key "${key}" has shape ${
          formatShape(tensor.shape)
        } but the model expects ${formatShape(entry.shape)}`,
        key,
      );
    }
  }
  for (const entry of map.keys) {
    if (entry.relation === "unused") continue;
    if (!dict.has(entry.key)) {
      throw new WeightMappingError(
        `Cannot apply weights to ${where}: the state_dict has no key "${entry.key}" ${
          formatShape(entry.shape)
        }`,
        entry.key,
      );
    }
    if (entry.relation === "unmapped") {
      throw new WeightMappingError(
        `Cannot apply weights to ${where}: state_dict key "${entry.key}" ${
          formatShape(entry.shape)
        } maps to no initializer (${entry.detail}); the map must be made with the weights ` +
          `the file was exported with (mapWeights, --exported-weights); if it was, re-export ` +
          `with do_constant_folding=False so parameters stay named initializers`,
        entry.key,
      );
    }
  }

  const out = new Map<string, HostTensor>();
  for (const init of map.initializers) {
    const { source } = init;
    if (source.kind === "constant") continue;
    if (source.kind === "unmatched") {
      if (options.allowUnmatched) continue;
      throw new WeightMappingError(
        `Cannot apply weights to ${where}: initializer "${init.name}" ${
          formatShape(init.dims)
        } matches no recipe over the state_dict, so it cannot be recomputed; ` +
          `re-export the model with do_constant_folding=False`,
        init.name,
      );
    }
    const current = model.initializers.get(init.name);
    if (!current || !sameShape(current.dims, init.dims)) {
      throw new WeightMappingError(
        `Cannot apply weights to ${where}: initializer "${init.name}" ${
          formatShape(init.dims)
        } of the weight map is not in the model`,
        init.name,
      );
    }
    checkShared(init, dict, where);
    if (source.kind === "param" && !isFloatCode(init.dataType)) {
      out.set(init.name, integerTensor(init, dict.get(source.key)!, where));
      continue;
    }
    const value = evaluateRecipe(source.recipe, dict, rounding(init));
    out.set(init.name, {
      dims: [...init.dims],
      dataType: init.dataType,
      data: init.dataType === DataType.DOUBLE ? value.data : Float32Array.from(value.data),
    });
  }
  return out;
}

function isFloatCode(code: number): boolean {
  return code === DataType.FLOAT || code === DataType.DOUBLE;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Keys merged into one initializer must keep equal values. */
function checkShared(init: InitializerMapping, dict: StateDict, where: string) {
  if (init.sharedBy.length === 0) return;
  const source = init.source;
  if (source.kind === "constant" || source.kind === "unmatched") return;
  const round = rounding(init);
  const owners = recipeKeys(source.recipe);
  for (const key of init.sharedBy) {
    const mine = toFloat64(dict.get(key)!).map(round);
    const shape = dict.get(key)!.shape;
    const twin = owners.find((owner) => {
      const t = dict.get(owner)!;
      if (!sameShape(t.shape, shape)) return false;
      const theirs = toFloat64(t).map(round);
      return theirs.every((v, i) => Object.is(v, mine[i]));
    });
    if (twin === undefined) {
      throw new WeightMappingError(
        `Cannot apply weights to ${where}: state_dict key "${key}" must equal "${
          owners.join('", "')
        }" because the exporter merged them into initializer "${init.name}", ` +
          `but the new values differ; re-export the model from these weights`,
        key,
      );
    }
  }
}

function integerTensor(init: InitializerMapping, tensor: StateTensor, where: string): HostTensor {
  const { data } = tensor;
  if (init.dataType === DataType.INT64) {
    const out = data instanceof BigInt64Array
      ? data.slice()
      : BigInt64Array.from(Array.from(data as ArrayLike<number>, (v) => BigInt(Math.trunc(v))));
    return { dims: [...init.dims], dataType: init.dataType, data: out };
  }
  if (
    init.dataType === DataType.INT32 || init.dataType === DataType.INT16 ||
    init.dataType === DataType.INT8 || init.dataType === DataType.UINT16
  ) {
    return {
      dims: [...init.dims],
      dataType: init.dataType,
      data: Int32Array.from(Array.from(data as ArrayLike<number | bigint>, (v) => Number(v))),
    };
  }
  if (init.dataType === DataType.UINT8 || init.dataType === DataType.BOOL) {
    return {
      dims: [...init.dims],
      dataType: init.dataType,
      data: Uint8Array.from(Array.from(data as ArrayLike<number | bigint>, (v) => Number(v))),
    };
  }
  throw new WeightMappingError(
    `Cannot apply weights to ${where}: initializer "${init.name}" has an unsupported data type ${init.dataType}`,
    init.name,
  );
}
