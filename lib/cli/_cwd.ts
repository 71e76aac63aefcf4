/**
 * Relative paths on the command line mean the user's folder. `deno task`
 * starts the program in the project's folder and says where the user was in
 * `INIT_CWD`; a program started there by `deno task` moves back to it, so that
 * every path a user types resolves as it would in their shell.
 *
 * @module
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PROJECT = resolve(fileURLToPath(new URL("../../", import.meta.url)));

/**
 * Changes to the folder the user ran `deno task` from, when this process was
 * started by a task of this project (its working folder is the project's and
 * `INIT_CWD` names another). A process started elsewhere keeps its folder: an
 * `INIT_CWD` it inherited belongs to some other task.
 *
 * @returns The folder relative paths now resolve against.
 */
export function enterUserDirectory(): string {
  const init = Deno.env.get("INIT_CWD");
  const here = resolve(Deno.cwd());
  if (!init || here !== PROJECT || resolve(init) === here) return here;
  try {
    Deno.chdir(init);
    return resolve(init);
  } catch {
    return here; // The folder is gone or unreadable: paths stay relative to the project.
  }
}
