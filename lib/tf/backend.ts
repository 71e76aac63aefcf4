/**
 * TensorFlow.js set-up: one place that chooses the backend. The WebAssembly
 * backend (about ten times faster than the pure-JavaScript `cpu` backend on a
 * FastKAN Jacobian) loads its `.wasm` files from the project's `node_modules`;
 * when they cannot be found the `cpu` backend is used instead.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { installWasmMatMul } from "./wasm_mat_mul.ts";

/** The tfjs namespace, re-exported so every module uses the same instance. */
export { tf };

/** Options of {@linkcode initTf}. */
export interface InitTfOptions {
  /**
   * Backend to use: `"wasm"` (fast) or `"cpu"` (pure JavaScript).
   * @default {"wasm"} unless the environment variable `PARTIALS_TF_BACKEND` names another
   */
  backend?: "wasm" | "cpu";
}

let ready: Promise<string> | undefined;

/**
 * Initializes tfjs once and returns the backend name in use. Safe to call many times.
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "./backend.ts";
 * await initTf();
 * const y = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]);
 * if (y !== 3) throw new Error("tfjs is not working");
 * ```
 */
export function initTf(options: InitTfOptions = {}): Promise<string> {
  ready ??= (async () => {
    const wanted = options.backend ?? envBackend() ?? "wasm";
    if (wanted === "wasm") {
      const dir = new URL(
        "../../node_modules/@tensorflow/tfjs-backend-wasm/dist/",
        import.meta.url,
      );
      try {
        await Deno.stat(new URL("tfjs-backend-wasm.wasm", dir));
        setWasmPaths(dir.pathname);
        if (await tf.setBackend("wasm")) {
          installWasmMatMul();
          return tf.getBackend();
        }
      } catch {
        // Fall through to the cpu backend.
      }
    }
    await tf.setBackend("cpu");
    return tf.getBackend();
  })();
  return ready;
}

function envBackend(): "wasm" | "cpu" | undefined {
  try {
    const value = Deno.env.get("PARTIALS_TF_BACKEND");
    return value === "cpu" || value === "wasm" ? value : undefined;
  } catch {
    return undefined;
  }
}
