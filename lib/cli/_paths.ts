/**
 * Where a command reads and writes, resolved and checked before any work.
 *
 * - Relative paths resolve against the working directory (which `_cwd.ts`
 *   has made the folder the user ran `deno task` from).
 * - Every input must be an existing regular file (not a folder, device, pipe
 *   or socket); a missing one is named with the absolute path tried.
 * - `--out` may not be, contain or lie inside any input (compared by real path,
 *   so symlinks and hard links count), nor be a device or pipe: inputs are
 *   never overwritten. `--out -` is standard output, for CSV results only.
 *
 * @module
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { UsageError } from "./_errors.ts";

/** The `--out` value meaning standard output. */
export const STDOUT = "-";

/** What a command's `--out` names: a CSV result (which `-` may send to standard output), another file, or a folder. */
export type OutKind = "csv" | "file" | "dir";

/** The paths of one command run. */
export interface PathPlan {
  /** Input files by option (`--model`, …), resolved, in the order given. */
  readonly inputs: ReadonlyMap<string, string>;
  /** The resolved `--out`, `"-"` for standard output, or `undefined` when not given. */
  readonly out: string | undefined;
}

interface CheckedInput {
  readonly option: string;
  readonly path: string;
  readonly real: string;
  readonly dev: number | null;
  readonly ino: number | null;
}

/**
 * Resolves and checks every path of a command before it reads anything.
 *
 * @param inputs Input files by option name (e.g. `["--model", "m.onnx"]`); undefined ones are skipped.
 * @param out The `--out` value and what it names, when the command has one.
 * @param options `protect`: further files that must not be overwritten, if they exist
 *   (e.g. the weights an ONNX file was exported with, found beside it).
 * @returns The resolved paths.
 * @throws {Error} A missing input (with the absolute path tried), a folder or a
 *   device given as an input.
 * @throws {UsageError} `--out` that is, contains or lies inside an input, a device,
 *   a file where a folder is expected (or the reverse), or `-` for a folder.
 */
export async function planPaths(
  inputs: readonly (readonly [string, string | undefined])[],
  out?: { readonly path: string | undefined; readonly kind: OutKind; readonly option?: string },
  options: {
    protect?: (resolved: ReadonlyMap<string, string>) => Promise<readonly string[]>;
  } = {},
): Promise<PathPlan> {
  const resolved = new Map<string, string>();
  const checked: CheckedInput[] = [];
  for (const [option, given] of inputs) {
    if (given === undefined) continue;
    const path = given;
    resolved.set(option, path);
    checked.push(await checkInput(option, path));
  }
  for (const path of (await options.protect?.(resolved)) ?? []) {
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isFile) {
      checked.push({
        option: "model's exported weights",
        path,
        real: await Deno.realPath(path),
        dev: info.dev,
        ino: info.ino,
      });
    }
  }
  if (out === undefined || out.path === undefined) return { inputs: resolved, out: undefined };
  const option = out.option ?? "--out";
  if (out.path === STDOUT) {
    if (out.kind !== "csv") {
      throw new UsageError(
        `Invalid ${option} -: standard output takes a CSV result, this command writes ${
          out.kind === "dir" ? "a folder" : "a file"
        }`,
      );
    }
    return { inputs: resolved, out: STDOUT };
  }
  const path = out.path;
  await checkOut(option, path, out.kind, checked);
  return { inputs: resolved, out: path };
}

async function checkInput(option: string, path: string): Promise<CheckedInput> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    const tried = isAbsolute(path) ? "" : ` (looked for ${resolve(path)})`;
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot read ${path}: no such file${tried}`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new Error(`Cannot read ${path}: permission denied${tried}`);
    }
    throw new Error(`Cannot read ${path}: ${(error as Error).message.split("\n")[0]}`);
  }
  if (info.isDirectory) throw new Error(`Cannot read ${path}: it is a folder, not a file`);
  if (!info.isFile) {
    throw new Error(`Cannot read ${path}: not a regular file (a device, pipe or socket)`);
  }
  return { option, path, real: await Deno.realPath(path), dev: info.dev, ino: info.ino };
}

/** The real path of `path`, resolving symlinks in the part of it that exists. */
async function realPathOf(path: string): Promise<string> {
  const absolute = resolve(path);
  let head = absolute;
  const tail: string[] = [];
  while (true) {
    try {
      const real = await Deno.realPath(head);
      return tail.length === 0 ? real : resolve(real, ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return absolute;
      tail.push(head.slice(parent.length).replace(/^\/+/, ""));
      head = parent;
    }
  }
}

/** Whether `inner` is `outer` or lies below it (both real, absolute paths). */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

async function checkOut(
  option: string,
  path: string,
  kind: OutKind,
  inputs: readonly CheckedInput[],
): Promise<void> {
  const refuse = (why: string): never => {
    throw new UsageError(`Refusing ${option} ${path}: ${why}`);
  };
  const real = await realPathOf(path);
  if (/^\/(dev|proc)\//.test(resolve(path)) || /^\/(dev|proc)\//.test(real)) {
    refuse(
      `it is a device, not a file${kind === "csv" ? `; use ${option} - for standard output` : ""}`,
    );
  }
  const info = await Deno.stat(path).catch(() => undefined);
  for (const input of inputs) {
    const what = `the ${input.option} file${input.path === path ? "" : ` ${input.path}`}`;
    const sameFile = info?.isFile === true && input.dev !== null && input.ino !== null &&
      info.dev === input.dev && info.ino === input.ino;
    if (real === input.real || sameFile) {
      refuse(`it is ${what}; inputs are never overwritten, choose another output`);
    }
    if (within(input.real, real)) {
      refuse(`the folder holds ${what}; write the results to another folder`);
    }
    if (within(real, input.real)) refuse(`it lies inside ${what}`);
  }
  if (info !== undefined) {
    if (kind !== "dir" && info.isDirectory) refuse("it is a folder; give a file name");
    if (kind === "dir" && info.isFile) refuse("it is a file; give a folder");
    if (!info.isFile && !info.isDirectory) {
      refuse(
        `not a regular file (a device, pipe or socket)${
          kind === "csv" ? `; use ${option} - for standard output` : ""
        }`,
      );
    }
  }
  // A path below an existing file cannot be created.
  for (let dir = dirname(real); dir !== dirname(dir); dir = dirname(dir)) {
    const parent = await Deno.stat(dir).catch(() => undefined);
    if (parent === undefined) continue;
    if (!parent.isDirectory) refuse(`${dir} is a file, not a folder`);
    break;
  }
}
