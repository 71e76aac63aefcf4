/**
 * Readable, distinct output-folder names for a list of model files.
 *
 * @module
 */
import { basename, extname, join, resolve, sep } from "node:path";

/**
 * One folder name per file: the file's name without its extension, preceded
 * by as many parent folders as it takes to tell the files apart. A file named
 * `model.*` (the PyTorch companion's name) goes by its folder's name, as the
 * bundled models do (`data/models/fastkan/model.onnx` → `fastkan`).
 *
 * @param paths Model files (relative or absolute).
 * @returns Names in the same order, distinct, made of `[A-Za-z0-9._-]` joined by `_`.
 *
 * @example Usage
 * ```ts
 * import { folderNames } from "./folder_names.ts";
 * const names = folderNames(["runs/a/model.onnx", "runs/b/model.onnx", "mlp.onnx"]);
 * if (names.join(" ") !== "a b mlp") throw new Error(names.join(" "));
 * ```
 */
export function folderNames(paths: readonly string[]): string[] {
  const parts = paths.map((p) => {
    const abs = resolve(p);
    const stem = basename(abs, extname(abs));
    const dirs = abs.slice(0, abs.length - basename(abs).length).split(sep).filter((s) => s);
    return stem === "model" && dirs.length > 0 ? dirs : [...dirs, stem];
  });
  const files = paths.map((p) => resolve(p));
  const depth = paths.map(() => 1);
  for (let round = 0; round < 64; round++) {
    const names = parts.map((p, i) => clean(p.slice(-depth[i]!).join("_")));
    const clash = names.map((n, i) =>
      names.some((o, k) => k !== i && o === n && files[k] !== files[i])
    );
    if (!clash.includes(true)) break;
    let grew = false;
    clash.forEach((c, i) => {
      if (c && depth[i]! < parts[i]!.length) {
        depth[i]!++;
        grew = true;
      }
    });
    if (!grew) break;
  }
  // Same file given twice, or names that stay equal: number them.
  const names = parts.map((p, i) => clean(p.slice(-depth[i]!).join("_")));
  return names.map((n, i) => {
    const before = names.slice(0, i).filter((o) => o === n).length;
    return before === 0 ? n : `${n}-${before + 1}`;
  });
}

/**
 * A folder under `out` for `name` that holds no other model's results: `name`
 * itself when it is free or its `metrics.json` names the same model file,
 * else `name-2`, `name-3`, ….
 *
 * @param out The output folder.
 * @param name From {@linkcode folderNames}.
 * @param model The model file whose results go there.
 */
export async function freeFolder(out: string, name: string, model: string): Promise<string> {
  for (let k = 1;; k++) {
    const candidate = join(out, k === 1 ? name : `${name}-${k}`);
    let recorded: unknown;
    try {
      recorded = JSON.parse(await Deno.readTextFile(join(candidate, "metrics.json")))?.model;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return candidate;
      recorded = undefined; // unreadable metrics: not ours
    }
    if (typeof recorded === "string" && resolve(recorded) === resolve(model)) return candidate;
  }
}

function clean(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "-") || "model";
}
