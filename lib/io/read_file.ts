/**
 * Reading a whole file, safely: only a regular file (a device such as
 * `/dev/zero`, a pipe or a folder is refused, also behind a symlink), and only
 * up to the size limit, checked on the opened file before anything is read.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { limits, raiseHint } from "./limits.ts";

/** Options of {@linkcode readRegularFile}. */
export interface ReadRegularFileOptions {
  /** Largest size accepted, in bytes. @default {limits().maxFileBytes} */
  maxBytes?: number;
}

/**
 * The bytes of a regular file.
 *
 * @param path The file.
 * @throws {Error} One line naming the file: it does not exist (with the absolute
 *   path tried), it is a folder, a device, a pipe or a socket, it is larger than
 *   the limit, or it cannot be read.
 *
 * @example Usage
 * ```ts
 * import { readRegularFile } from "./read_file.ts";
 * const bytes = await readRegularFile(new URL("../../deno.json", import.meta.url).pathname);
 * if (bytes[0] !== 0x7b) throw new Error("expected JSON");
 * ```
 */
export async function readRegularFile(
  path: string,
  options: ReadRegularFileOptions = {},
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? limits().maxFileBytes;
  let file: Deno.FsFile;
  try {
    // Checked before opening too: opening a FIFO for reading would wait for a writer.
    const info = await Deno.stat(path);
    checkKind(path, info);
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw describe(path, error);
  }
  try {
    const info = await file.stat();
    checkKind(path, info);
    if (info.size > maxBytes) {
      throw new RangeError(
        `Cannot read ${path}: ${info.size} bytes is larger than the limit of ${maxBytes} (${
          raiseHint("maxFileBytes")
        })`,
      );
    }
    const bytes = new Uint8Array(info.size);
    let done = 0;
    while (done < bytes.length) {
      const n = await file.read(bytes.subarray(done));
      if (n === null) break;
      done += n;
    }
    // A file that shrank while being read is returned as it is now.
    return done === bytes.length ? bytes : bytes.slice(0, done);
  } catch (error) {
    throw describe(path, error);
  } finally {
    file.close();
  }
}

function checkKind(path: string, info: Deno.FileInfo): void {
  if (info.isDirectory) throw new Error(`Cannot read ${path}: it is a folder, not a file`);
  if (!info.isFile) {
    throw new Error(`Cannot read ${path}: not a regular file (a device, pipe or socket)`);
  }
}

function describe(path: string, error: unknown): Error {
  if (error instanceof Error && error.message.startsWith(`Cannot read ${path}:`)) return error;
  if (error instanceof Deno.errors.NotFound) {
    const tried = isAbsolute(path) ? "" : ` (looked for ${resolve(path)})`;
    return new Error(`Cannot read ${path}: no such file${tried}`);
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new Error(`Cannot read ${path}: permission denied`);
  }
  const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return new Error(`Cannot read ${path}: ${why}`);
}
