/**
 * Atomic file writes: the content goes to a temporary file beside the target,
 * which is then renamed over it, so a reader never sees a half-written file
 * and a failed run leaves the previous result intact.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { basename } from "node:path";

/**
 * Writes `content` to `path` atomically (temporary file in the same folder,
 * then rename). Creates the parent folder when missing.
 *
 * @param path Destination file.
 * @param content Text (written as UTF-8) or bytes.
 * @throws {Deno.errors.NotFound} Never for a missing parent; other I/O errors propagate.
 *
 * @example Usage
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/out.txt`, "hello");
 * if (await Deno.readTextFile(`${dir}/out.txt`) !== "hello") throw new Error("not written");
 * ```
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  try {
    if (typeof content === "string") await Deno.writeTextFile(tmp, content);
    else await Deno.writeFile(tmp, content);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
