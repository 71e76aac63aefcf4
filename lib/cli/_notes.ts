/**
 * One-line notes the commands print to stderr about how a model is run.
 *
 * @module
 */
import { describeBatchRewrite } from "../onnx/dynamic_batch.ts";
import type { Surrogate } from "../surrogate/surrogate.ts";
import { warn } from "./_warn.ts";

/** Says once, on stderr (unless `--quiet`), when a model with a fixed batch size must run in chunks of it. */
export function noteBatch(surrogate: Surrogate): void {
  if (surrogate.batch.mode !== "chunked") return;
  warn(`${surrogate.onnx.source}: ${describeBatchRewrite(surrogate.batch)}`);
}
