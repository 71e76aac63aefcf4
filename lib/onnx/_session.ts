/**
 * The onnxruntime session options of the toolkit's runners (the forward
 * runner, float32 and float64, and the derivative graph's runner).
 *
 * @module
 */
import type * as ort from "onnxruntime-node";

/** Options of {@linkcode runnerSessionOptions}. */
export interface RunnerSessionOptions {
  /** The graph computes in float64 (onnxruntime fuses float patterns into float-only kernels above `"basic"`). */
  float64: boolean;
  /** onnxruntime's own log level (0 verbose … 4 fatal). */
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}

/**
 * Session options for a runner: graph optimization `"all"` (`"basic"` for
 * float64), and idle intra-op threads that wait instead of spinning. Spinning
 * threads compete for the cores with the thread that has work, and with every
 * other process: on a shared 2-core machine, one float64 pass of the bundled
 * efficient-KAN over 65,536 rows took 1.4 s with spinning and 1.0 s without,
 * using 1.35 and 0.93 s of CPU.
 */
export function runnerSessionOptions(
  options: RunnerSessionOptions,
): ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: options.float64 ? "basic" : "all",
    logSeverityLevel: options.logSeverityLevel,
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
}
