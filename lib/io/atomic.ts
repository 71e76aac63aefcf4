/**
 * Atomic file writes: the content goes to a temporary file beside the target,
 * which is then renamed over it, so a reader never sees a half-written file
 * and a failed run leaves the previous result intact. While temporary files
 * exist, SIGINT and SIGTERM remove them before the process ends as the signal
 * would have ended it; outside writes the signals keep their default action
 * (so a long synchronous computation stays interruptible).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** Temporary files written but not yet renamed into place. */
const pending = new Set<string>();

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
let writers = 0;
const handlers = SIGNALS.map((signal) => [signal, () => interrupted(signal)] as const);

/** A signal arrived during a write: remove the temporary files, then let it end the process. */
function interrupted(signal: Deno.Signal): void {
  removePendingTempFiles();
  setSignalGuard(false);
  writers = 0;
  Deno.kill(Deno.pid, signal);
}

function setSignalGuard(on: boolean): void {
  for (const [signal, handler] of handlers) {
    try {
      if (on) Deno.addSignalListener(signal, handler);
      else Deno.removeSignalListener(signal, handler);
    } catch {
      // Signal not supported on this platform (e.g. SIGTERM on Windows).
    }
  }
}

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
  await writeFilesAtomic([[path, content]]);
}

/**
 * Writes several files as one step: every content goes to a temporary file
 * first, and only when all are written are they renamed into place. A failure
 * while writing removes the temporary files and leaves every target as it was.
 *
 * @param files Destination paths and contents (text as UTF-8, or bytes).
 * @throws I/O errors, after removing the temporary files.
 *
 * @example Usage
 * ```ts
 * import { writeFilesAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFilesAtomic([[`${dir}/a.txt`, "a"], [`${dir}/b.txt`, "b"]]);
 * if (await Deno.readTextFile(`${dir}/b.txt`) !== "b") throw new Error("not written");
 * ```
 */
export async function writeFilesAtomic(
  files: readonly (readonly [string, string | Uint8Array])[],
): Promise<void> {
  const staged: [string, string][] = [];
  if (writers++ === 0) setSignalGuard(true);
  try {
    for (const [path, content] of files) {
      const dir = dirname(path);
      await Deno.mkdir(dir, { recursive: true });
      const tmp = join(dir, `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
      pending.add(tmp);
      staged.push([tmp, path]);
      if (typeof content === "string") await Deno.writeTextFile(tmp, content);
      else await Deno.writeFile(tmp, content);
    }
    for (const [tmp, path] of staged) {
      await Deno.rename(tmp, path);
      pending.delete(tmp);
    }
  } catch (error) {
    for (const [tmp] of staged) {
      if (pending.delete(tmp)) await Deno.remove(tmp).catch(() => {});
    }
    throw error;
  } finally {
    if (writers > 0 && --writers === 0) setSignalGuard(false);
  }
}

/** A file being written piece by piece, atomically: appended to a temporary file, renamed at the end. */
export interface AtomicFile {
  /** Appends bytes. */
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the temporary file and renames it over the destination. */
  commit(): Promise<void>;
  /** Closes and removes the temporary file; the destination is left as it was. */
  abort(): Promise<void>;
}

/**
 * Opens `path` for writing in pieces (a result too large to hold in memory):
 * the bytes go to a temporary file beside it, which `commit` renames into
 * place; until then, as for {@linkcode writeFileAtomic}, a signal or `abort`
 * removes the temporary file. Creates the parent folder when missing.
 *
 * @example Usage
 * ```ts
 * import { openAtomicFile } from "./atomic.ts";
 * const path = `${await Deno.makeTempDir()}/out.txt`;
 * const file = await openAtomicFile(path);
 * await file.write(new TextEncoder().encode("hel"));
 * await file.write(new TextEncoder().encode("lo"));
 * await file.commit();
 * if (await Deno.readTextFile(path) !== "hello") throw new Error("not written");
 * ```
 */
export async function openAtomicFile(path: string): Promise<AtomicFile> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  if (writers++ === 0) setSignalGuard(true);
  pending.add(tmp);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true });
  } catch (error) {
    pending.delete(tmp);
    if (writers > 0 && --writers === 0) setSignalGuard(false);
    throw error;
  }
  let open = true;
  const finish = async (keep: boolean) => {
    if (!open) return;
    open = false;
    try {
      file.close();
      if (keep) {
        await Deno.rename(tmp, path);
        pending.delete(tmp);
      }
    } finally {
      if (pending.delete(tmp)) await Deno.remove(tmp).catch(() => {});
      if (writers > 0 && --writers === 0) setSignalGuard(false);
    }
  };
  return {
    async write(bytes) {
      if (!open) throw new Error(`Cannot write ${path}: the file is already closed`);
      try {
        for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
      } catch (error) {
        await finish(false);
        throw error;
      }
    },
    commit: () => finish(true),
    abort: () => finish(false),
  };
}

/**
 * Removes every temporary file a write in progress has created, synchronously
 * (for a signal handler that is about to exit the process).
 *
 * @returns The paths removed.
 */
export function removePendingTempFiles(): string[] {
  const removed: string[] = [];
  for (const tmp of pending) {
    try {
      Deno.removeSync(tmp);
      removed.push(tmp);
    } catch {
      // Already gone (renamed into place or never created).
    }
  }
  pending.clear();
  return removed;
}

/** The temporary files of writes in progress (for tests and diagnostics). */
export function pendingTempFiles(): string[] {
  return [...pending];
}
