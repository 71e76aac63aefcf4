/**
 * Mapping new weights onto an ONNX export: by name where the exporter kept the
 * parameters as named initializers, else by value with the weights the file was
 * exported with; and the keys the graph does not use, for warnings.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import type { HostTensor, OnnxModel } from "../onnx/model.ts";
import { isFloatType } from "../onnx/tensor.ts";
import { applyStateDict } from "./apply.ts";
import { loadStateDict } from "./load.ts";
import { type KeyMapping, mapStateDict, type WeightMap } from "./map.ts";
import { formatShape, type StateDict, WeightMappingError } from "./state_dict.ts";

/** Options of {@linkcode mapWeights}. */
export interface MapWeightsOptions {
  /**
   * The state_dict the ONNX file was exported with. Needed when the exporter folded
   * weights into initializers not named like state_dict keys: they are found by
   * comparing values with these weights.
   * @default {undefined}
   */
  exported?: StateDict;
  /** Where `exported` came from, for messages. @default {"the exported weights"} */
  exportedSource?: string;
  /** Where the new weights came from, for messages. @default {"the weights"} */
  source?: string;
}

/**
 * The weight map for applying `dict` to `model`.
 *
 * By name first: when every float initializer of the graph is a state_dict key of
 * the same shape (an export without constant folding, or one that folded nothing),
 * the map is made from `dict` itself and no exported weights are needed. Otherwise
 * the exporter folded weights into other initializers (transposed, sliced, fused):
 * they are matched by value against `options.exported`, the weights the file was
 * exported with. Then apply `dict` with `applyStateDict(model, dict, map)`.
 *
 * @param model The ONNX model.
 * @param dict The new weights.
 * @param options The exported weights and file names for messages.
 * @returns The map; float keys the graph does not use have relation `unused` (see
 *   {@linkcode unusedKeys}).
 * @throws {WeightMappingError} If folded initializers need the exported weights and none
 *   were given (the message says how to give them), or if an initializer matches no recipe
 *   over the exported weights (the message names it and the keys left unmapped).
 *
 * @example Usage
 * ```ts
 * import { loadOnnxModel } from "../onnx/model.ts";
 * import { loadStateDict } from "./load.ts";
 * import { mapWeights, unusedKeys } from "./map_weights.ts";
 * const dir = new URL("../../tests/testdata/weights/unused/", import.meta.url).pathname;
 * const model = await loadOnnxModel(`${dir}model.onnx`);
 * const map = mapWeights(model, await loadStateDict(`${dir}perturbed.pth`), {
 *   exported: await loadStateDict(`${dir}model.pth`),
 * });
 * if (unusedKeys(map)[0]?.key !== "rbf.inv_denominator") throw new Error("expected an unused buffer");
 * ```
 */
export function mapWeights(
  model: OnnxModel,
  dict: StateDict,
  options: MapWeightsOptions = {},
): WeightMap {
  const source = options.source ?? "the weights";
  const folded = foldedInitializers(model, dict);
  if (folded.length === 0) return mapStateDict(model, dict);
  const [firstName, first] = folded[0]!;
  const example = `"${firstName}" ${formatShape(first.dims)}`;
  if (options.exported === undefined) {
    throw new WeightMappingError(
      `Cannot map ${source} onto ${model.source}: ${
        folded.length === 1
          ? `initializer ${example} is not a key`
          : `${folded.length} initializers (${example}, …) are not keys`
      } of it with that shape; weights the exporter folded (transposed, sliced, fused) are ` +
        `matched by value against the weights the file was exported with, and none were given: ` +
        `pass that state_dict with --exported-weights, or save it as model.pth beside the model`,
      firstName,
    );
  }
  const exportedSource = options.exportedSource ?? "the exported weights";
  const map = mapStateDict(model, options.exported);
  const unmatched = map.initializers.filter((i) => i.source.kind === "unmatched");
  if (unmatched.length > 0) {
    const init = unmatched[0]!;
    const unmapped = map.keys.filter((k) => k.relation === "unmapped");
    const keys = unmapped.length === 0
      ? ""
      : ` (state_dict ${unmapped.length === 1 ? "key" : "keys"} ${
        unmapped.slice(0, 3).map((k) => `"${k.key}" ${formatShape(k.shape)}`).join(", ")
      }${unmapped.length > 3 ? ", …" : ""} ${
        unmapped.length === 1 ? "maps" : "map"
      } to no initializer)`;
    throw new WeightMappingError(
      `Cannot map ${source} onto ${model.source}: initializer "${init.name}" ${
        formatShape(init.dims)
      }${
        unmatched.length > 1 ? ` and ${unmatched.length - 1} more match` : " matches"
      } no recipe over ${exportedSource}${keys}; check that ${exportedSource} is the state_dict ` +
        `the file was exported with, and if it is, re-export with do_constant_folding=False so ` +
        `parameters stay named initializers`,
      init.name,
    );
  }
  return map;
}

/**
 * Float state_dict keys the graph does not use (relation `unused`): buffers that
 * forward never reads. Integer keys such as `num_batches_tracked` are left out.
 */
export function unusedKeys(map: WeightMap): KeyMapping[] {
  return map.keys.filter((k) =>
    k.relation === "unused" &&
    (k.dtype === "float32" || k.dtype === "float64" || k.dtype === "float16" ||
      k.dtype === "bfloat16")
  );
}

/**
 * One line warning about the keys of {@linkcode unusedKeys}, or `undefined` if there are none.
 *
 * @param map The weight map.
 * @param source Where the weights came from (file name).
 */
export function unusedKeysWarning(map: WeightMap, source: string): string | undefined {
  const unused = unusedKeys(map);
  if (unused.length === 0) return undefined;
  const list = unused.map((k) => `"${k.key}" ${formatShape(k.shape)}`).join(", ");
  return `${source}: ${unused.length === 1 ? "state_dict key" : "state_dict keys"} ${list} ${
    unused.length === 1 ? "is" : "are"
  } not used by ${map.model} (nothing computed from ${
    unused.length === 1 ? "it" : "them"
  } reaches the graph, e.g. a buffer forward never reads); ignored`;
}

/**
 * Whether mapping `dict` onto `model` needs the weights the file was exported with:
 * some float initializer is not a key of `dict` with its shape (see {@linkcode mapWeights}).
 */
export function needsExportedWeights(model: OnnxModel, dict: StateDict): boolean {
  return foldedInitializers(model, dict).length > 0;
}

function foldedInitializers(model: OnnxModel, dict: StateDict) {
  return [...model.initializers].filter(([name, init]) => {
    const tensor = dict.get(name);
    return isFloatType(init.dataType) &&
      !(tensor && tensor.shape.length === init.dims.length &&
        tensor.shape.every((d, i) => d === init.dims[i]));
  });
}

/**
 * The state_dict saved beside an ONNX file by the PyTorch companion
 * (`model.pth`, else `model.safetensors`), if there is one.
 *
 * @param modelPath The ONNX file.
 */
export async function findExportedWeights(modelPath: string): Promise<string | undefined> {
  const dir = dirname(modelPath);
  for (const name of ["model.pth", "model.safetensors"]) {
    const path = join(dir, name);
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch {
      // Not there: try the next name.
    }
  }
  return undefined;
}

/** Options of {@linkcode loadWeightsFor}. */
export interface LoadWeightsForOptions {
  /**
   * New weights (`.pth`/`.pt`/`.bin`/`.safetensors`) to apply to the model.
   * @default {undefined}
   */
  weights?: string;
  /**
   * The state_dict the ONNX file was exported with, for weights the exporter folded.
   * Alone (without `weights`), it is also the weights applied: the model as exported.
   * @default {`model.pth` or `model.safetensors` beside the ONNX file, if there is one}
   */
  exportedWeights?: string;
}

/** Weights read from disk and mapped onto a model by {@linkcode loadWeightsFor}. */
export interface LoadedWeights {
  /** The weights file applied. */
  readonly path: string;
  /** Its tensors. */
  readonly dict: StateDict;
  /** How they map onto the graph. */
  readonly map: WeightMap;
  /** New initializer values (pass to `replaceInitializers`). */
  readonly values: Map<string, HostTensor>;
  /** The exported weights the map was found with, when names did not suffice. */
  readonly exportedPath?: string;
  /** One-line warnings (state_dict keys the graph does not use). */
  readonly warnings: readonly string[];
}

/**
 * Reads weights, maps them onto `model` with {@linkcode mapWeights} (by name, else by
 * value with the exported weights: `options.exportedWeights` or the state_dict beside
 * the ONNX file, read only when needed) and computes the new initializer values.
 *
 * @param model The ONNX model; `model.source` is its path.
 * @param options The weights files.
 * @returns `undefined` when neither file is given.
 * @throws {WeightMappingError} See {@linkcode mapWeights} and `applyStateDict`.
 * @throws {Error} Naming the file, when a weights file cannot be read.
 */
export async function loadWeightsFor(
  model: OnnxModel,
  options: LoadWeightsForOptions,
): Promise<LoadedWeights | undefined> {
  const path = options.weights ?? options.exportedWeights;
  if (path === undefined) return undefined;
  const dict = await loadStateDict(path);
  let exported: { path: string; dict: StateDict } | undefined;
  if (needsExportedWeights(model, dict)) {
    const exportedPath = options.exportedWeights ?? await findExportedWeights(model.source);
    if (exportedPath !== undefined) {
      exported = {
        path: exportedPath,
        dict: resolve(exportedPath) === resolve(path) ? dict : await loadStateDict(exportedPath),
      };
    }
  }
  const map = mapWeights(model, dict, {
    source: path,
    ...(exported ? { exported: exported.dict, exportedSource: exported.path } : {}),
  });
  const values = applyStateDict(model, dict, map);
  const warning = unusedKeysWarning(map, path);
  return {
    path,
    dict,
    map,
    values,
    ...(exported ? { exportedPath: exported.path } : {}),
    warnings: warning === undefined ? [] : [warning],
  };
}
