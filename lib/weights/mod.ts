/**
 * PyTorch weights: reading `state_dict`s saved with `torch.save` (zip format,
 * restricted unpickler) or as safetensors, and writing safetensors.
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
