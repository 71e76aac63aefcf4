/**
 * PyTorch weights: reading `state_dict`s saved with `torch.save` (zip format,
 * restricted unpickler) or as safetensors, writing safetensors, and mapping a
 * state_dict onto the initializers of an ONNX export of the same model
 * (renamed, transposed, fused, derived and deduplicated by constant folding),
 * so new weights can be applied to the graph ({@linkcode applyStateDict}) or
 * trained through it ({@linkcode initializerFromParameters}, tfjs).
 *
 * @example Usage
 * ```ts
 * import { loadStateDict } from "./mod.ts";
 * const dict = await loadStateDict(
 *   new URL("../../tests/testdata/weights/small.pth", import.meta.url).pathname,
 * );
 * if (dict.get("w64")?.dtype !== "float64") throw new Error("unexpected dtype");
 * ```
 *
 * @module
 */
export * from "./state_dict.ts";
export * from "./torch_zip.ts";
export * from "./safetensors.ts";
export * from "./load.ts";
export * from "./recipe.ts";
export * from "./map.ts";
export * from "./apply.ts";
export * from "./map_weights.ts";
export * from "./differentiable.ts";
