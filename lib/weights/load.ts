/**
 * Loading a state_dict from disk, choosing the reader by file extension.
 *
 * @module
 */
import { readBinaryFile } from "../io/table.ts";
import { readSafetensors } from "./safetensors.ts";
import type { StateDict } from "./state_dict.ts";
import { readTorchZip } from "./torch_zip.ts";

/**
 * Reads a PyTorch state_dict: `.pth` / `.pt` / `.bin` (the `torch.save` zip format,
 * through a restricted unpickler) or `.safetensors`.
 *
 * @param path File to read.
 * @returns Key → tensor in file order.
 * @throws {RangeError} If the extension is none of the above.
 * @throws {UnsafePickleError} If a `.pth` pickle names a global outside the allow-list.
 * @throws {SyntaxError} If the file is malformed (see {@linkcode readTorchZip},
 *   {@linkcode readSafetensors}).
 *
 * @example Usage
 * ```ts
 * import { loadStateDict } from "./load.ts";
 * const dict = await loadStateDict(
 *   new URL("../../tests/testdata/weights/small.safetensors", import.meta.url).pathname,
 * );
 * if (!dict.has("w32")) throw new Error("missing key");
 * ```
 */
export async function loadStateDict(path: string): Promise<StateDict> {
  const lower = path.toLowerCase();
  if (lower.endsWith(".safetensors")) return readSafetensors(await readBinaryFile(path), path);
  if (lower.endsWith(".pth") || lower.endsWith(".pt") || lower.endsWith(".bin")) {
    return readTorchZip(await readBinaryFile(path), path);
  }
  throw new RangeError(
    `Cannot read ${path}: unknown weights format (expected .pth, .pt, .bin or .safetensors)`,
  );
}
