/**
 * Initializers as differentiable functions of state_dict tensors, for training
 * in TensorFlow.js: the recipes of {@linkcode mapStateDict} replayed with tfjs ops,
 * so gradients flow from a folded initializer back to the parameters it came from.
 *
 * @module
 */
import { tf } from "../tf/backend.ts";
import type { WeightMap } from "./map.ts";
import { formatRecipe, type Recipe } from "./recipe.ts";
import { formatShape, WeightMappingError } from "./state_dict.ts";

/**
 * The value of initializer `name` computed from `params` with tfjs ops (float32).
 *
 * @param map The weight map (see {@linkcode mapStateDict}).
 * @param name An initializer whose source is `param`, `fused` or `derived`.
 * @param params Tensors by state_dict key (e.g. `tf.Variable`s); each must have the
 *   shape the map recorded for its key. Not disposed.
 * @returns A new tensor with the initializer's dims; the caller disposes it.
 * @throws {RangeError} If `name` is not an initializer of the map, or is a graph constant
 *   or unmatched (it does not depend on the state_dict in a known way).
 * @throws {WeightMappingError} If a needed key is missing from `params` or has another shape.
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "../tf/backend.ts";
 * import { initializerFromParameters } from "./differentiable.ts";
 * import type { WeightMap } from "./map.ts";
 * await initTf();
 * const map: WeightMap = {
 *   model: "inline",
 *   keys: [{ key: "w", shape: [2, 1], dtype: "float32", relation: "transposed", initializers: ["w_t"], detail: "" }],
 *   initializers: [{
 *     name: "w_t", dims: [1, 2], dataType: 1, sharedBy: [],
 *     source: { kind: "param", key: "w", transform: "transpose", exact: true,
 *       recipe: { op: "transpose", of: { op: "param", key: "w" } } },
 *   }],
 * };
 * const w = tf.variable(tf.tensor2d([[3], [4]]));
 * const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.square(initializerFromParameters(map, "w_t", new Map([["w", v]])))));
 * const g = grad(w);
 * if (g.dataSync().join(",") !== "6,8") throw new Error(`gradient ${g.dataSync()}`);
 * tf.dispose([g, w]);
 * ```
 */
export function initializerFromParameters(
  map: WeightMap,
  name: string,
  params: ReadonlyMap<string, tf.Tensor>,
): tf.Tensor {
  const init = map.initializers.find((i) => i.name === name);
  if (!init) {
    throw new RangeError(
      `Cannot compute initializer "${name}": not in the weight map of ${map.model}`,
    );
  }
  const { source } = init;
  if (source.kind === "constant" || source.kind === "unmatched") {
    throw new RangeError(
      `Cannot compute initializer "${name}" of ${map.model}: it is ${
        source.kind === "constant" ? "a graph constant" : "unmatched"
      }, not a function of the state_dict`,
    );
  }
  const shapes = new Map(map.keys.map((k) => [k.key, k.shape]));
  return tf.tidy(() => {
    const value = tf.reshape(replay(source.recipe, params, shapes, name), [...init.dims]);
    // A reshape shares its data with the parameter. tfjs-backend-wasm 4.22 caches MatMul
    // operands by data id, so a parameter used in MatMuls both as it is and reshaped (two
    // shapes, one data id) reads out of bounds: give such a view its own data.
    const shared = [...params.values()].some((p) => p.dataId === value.dataId);
    return shared ? tf.mul(value, tf.scalar(1)) : value;
  });
}

function replay(
  recipe: Recipe,
  params: ReadonlyMap<string, tf.Tensor>,
  shapes: ReadonlyMap<string, readonly number[]>,
  name: string,
): tf.Tensor {
  switch (recipe.op) {
    case "param": {
      const t = params.get(recipe.key);
      if (!t) {
        throw new WeightMappingError(
          `Cannot compute initializer "${name}": no parameter "${recipe.key}"`,
          recipe.key,
        );
      }
      const want = shapes.get(recipe.key);
      if (want && !(want.length === t.shape.length && want.every((d, i) => d === t.shape[i]))) {
        throw new WeightMappingError(
          `Cannot compute initializer "${name}": parameter "${recipe.key}" has shape ${
            formatShape(t.shape)
          } but the model expects ${formatShape(want)}`,
          recipe.key,
        );
      }
      return t;
    }
    case "transpose":
      return tf.transpose(replay(recipe.of, params, shapes, name));
    case "reshape":
      return tf.reshape(replay(recipe.of, params, shapes, name), [...recipe.shape]);
    case "slice":
    case "index": {
      const x = replay(recipe.of, params, shapes, name);
      const axis = recipe.op === "index" ? recipe.axis : recipe.axis ?? x.rank - 1;
      const [start, end] = recipe.op === "index"
        ? [recipe.index, recipe.index + 1]
        : [recipe.start, recipe.end];
      const begin = x.shape.map((_, i) => (i === axis ? start : 0));
      const size = x.shape.map((d, i) => (i === axis ? end - start : d));
      const part = tf.slice(x, begin, size);
      return recipe.op === "index" ? tf.squeeze(part, [axis]) : part;
    }
    case "concat":
      return tf.concat(recipe.parts.map((p) => replay(p, params, shapes, name)), recipe.axis);
    case "unsqueeze":
      return tf.expandDims(replay(recipe.of, params, shapes, name), -1);
    case "sub":
      return tf.sub(replay(recipe.a, params, shapes, name), replay(recipe.b, params, shapes, name));
    case "mul":
      return tf.mul(replay(recipe.a, params, shapes, name), replay(recipe.b, params, shapes, name));
    case "reciprocal":
      return tf.reciprocal(replay(recipe.of, params, shapes, name));
    default:
      throw new RangeError(
        `Cannot compute initializer "${name}": unknown recipe ${formatRecipe(recipe)}`,
      );
  }
}
