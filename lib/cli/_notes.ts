/**
 * One-line notes the commands print to stderr about how a model is run.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { describeBatchRewrite } from "../onnx/dynamic_batch.ts";
import type { Surrogate } from "../surrogate/surrogate.ts";

/** Says once, on stderr, when a model with a fixed batch size must run in chunks of it. */
export function noteBatch(surrogate: Surrogate): void {
  if (surrogate.batch.mode !== "chunked") return;
  console.error(`warning: ${surrogate.onnx.source}: ${describeBatchRewrite(surrogate.batch)}`);
}
