/**
 * The project's `deno.json`: a first run of any task prints nothing but the
 * program's own output (no install progress, no "Ignored build scripts" box),
 * and no npm install script runs.
 */
import { assert, assertEquals } from "./_assert.ts";

const root = new URL("../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
const lock = JSON.parse(await Deno.readTextFile(new URL("deno.lock", root)));

Deno.test("deno.json denies the install script of every locked npm package that has one", () => {
  const withScripts = Object.entries(lock.npm as Record<string, { scripts?: boolean }>)
    .filter(([, info]) => info.scripts === true)
    .map(([id]) => id.replace(/^(@?[^@]+)@.*$/, "$1"));
  assert(withScripts.includes("onnxruntime-node"), "onnxruntime-node has an install script");
  const allow = config.allowScripts?.allow;
  assert(allow === undefined || (Array.isArray(allow) && allow.length === 0), "nothing allowed");
  const denied = new Set((config.allowScripts?.deny ?? []) as string[]);
  for (const name of withScripts) assert(denied.has(`npm:${name}`), `npm:${name} not denied`);
});

Deno.test("deno.json: every task installs quietly first, so a first run prints no progress", () => {
  // With "auto", `deno task` installs node_modules itself before running, printing a line
  // per package; with "manual" the task's own `deno install --quiet` does it silently.
  assertEquals(config.nodeModulesDir, "manual");
  for (const [name, task] of Object.entries(config.tasks as Record<string, { command: string }>)) {
    assert(task.command.startsWith("deno install --quiet && "), `task ${name}: ${task.command}`);
  }
});
