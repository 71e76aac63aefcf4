/**
 * Loading an analytic reference from a file.
 *
 * @module
 */
import { describeError } from "../io/quote.ts";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { readTextFile } from "../io/table.ts";
import { type EquationsSpec, referenceFromEquations } from "./equations.ts";
import { referenceFromModule } from "./module_reference.ts";
import type { AnalyticReference } from "./types.ts";

/**
 * Loads an analytic reference: a `.json` equations file
 * (`{ "inputs": [...], "outputs": { "f1": "<mathjs expression>", ... } }`,
 * differentiated symbolically, see {@linkcode referenceFromEquations}) or a
 * `.ts` / `.js` / `.mjs` module exporting `inputs`, `outputs`, `f` and
 * optionally `jacobian` (see {@linkcode referenceFromModule}).
 *
 * @param path The reference file.
 * @throws {Error} If the file does not exist or the module fails to load.
 * @throws {SyntaxError} Unparseable JSON or expressions, unknown variables (see `referenceFromEquations`).
 * @throws {TypeError} A module without the required exports, or another extension.
 *
 * @example Usage
 * ```ts
 * import { loadReference } from "./load.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/r.json`, JSON.stringify({ inputs: ["x"], outputs: { f: "x^3" } }));
 * const ref = await loadReference(`${dir}/r.json`);
 * if (ref.evaluate(new Float64Array([2]), 1).jacobian[0] !== 12) throw new Error("wrong");
 * ```
 */
export async function loadReference(path: string): Promise<AnalyticReference> {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") {
    const text = await readTextFile(path);
    let spec: unknown;
    try {
      spec = JSON.parse(text);
    } catch (error) {
      throw new SyntaxError(`Cannot parse ${path}: ${describeError(error)}`);
    }
    return referenceFromEquations(spec as EquationsSpec, path);
  }
  if (![".ts", ".js", ".mjs", ".mts"].includes(ext)) {
    throw new TypeError(
      `Cannot load ${path}: a reference is a .json equations file or a .ts/.js module`,
    );
  }
  const absolute = resolve(path);
  try {
    await Deno.stat(absolute);
  } catch {
    throw new Error(`Cannot read ${path}: no such file`);
  }
  let module: unknown;
  try {
    module = await import(pathToFileURL(absolute).href);
  } catch (error) {
    const first = String((error as Error).message).split("\n")[0];
    throw new Error(`Cannot load ${path}: ${first}`);
  }
  return referenceFromModule(module, { source: path });
}
