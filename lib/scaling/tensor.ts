/**
 * The scalers as tfjs ops, so that gradients flow through normalization and
 * denormalization and a Jacobian taken in physical units includes the scaling.
 *
 * @module
 */
import { tf } from "../tf/backend.ts";
import { canonicalForm, type VariableScaler } from "./scaler.ts";

/**
 * Physical → normalized units as tfjs ops (float32), the tensor form of `normalize`.
 *
 * @param scalers One scaler per column, width `k`.
 * @param x Tensor of shape `[N, k]`, physical units.
 * @returns A new tensor `[N, k]`, normalized units; the caller disposes it.
 * @throws {TypeError} If `x` is not 2-D with `k` columns.
 *
 * @example Usage
 * ```ts
 * import { initTf, tf } from "../tf/backend.ts";
 * import { minMaxScaler } from "./scaler.ts";
 * import { normalizeTensor } from "./tensor.ts";
 * await initTf();
 * const v = tf.tidy(() =>
 *   normalizeTensor([minMaxScaler("x", { min: 0, max: 4 })], tf.tensor2d([[1]])).dataSync()[0]
 * );
 * if (v !== 0.25) throw new Error("unexpected value");
 * ```
 */
export function normalizeTensor(scalers: readonly VariableScaler[], x: tf.Tensor2D): tf.Tensor2D {
  checkShape(scalers, x, "normalize");
  return tf.tidy(() => {
    const p = parameters(scalers);
    return tf.add(p.lo, tf.mul(p.width, tf.div(tf.sub(x, p.center), p.spread)));
  });
}

/**
 * Normalized → physical units as tfjs ops (float32), the tensor form of `denormalize`.
 *
 * @param scalers One scaler per column, width `k`.
 * @param xn Tensor of shape `[N, k]`, normalized units.
 * @returns A new tensor `[N, k]`, physical units; the caller disposes it.
 * @throws {TypeError} If `xn` is not 2-D with `k` columns.
 */
export function denormalizeTensor(
  scalers: readonly VariableScaler[],
  xn: tf.Tensor2D,
): tf.Tensor2D {
  checkShape(scalers, xn, "denormalize");
  return tf.tidy(() => {
    const p = parameters(scalers);
    return tf.add(p.center, tf.mul(p.spread, tf.div(tf.sub(xn, p.lo), p.width)));
  });
}

function checkShape(scalers: readonly VariableScaler[], x: tf.Tensor, action: string): void {
  const k = scalers.length;
  if (x.rank !== 2 || x.shape[1] !== k) {
    throw new TypeError(
      `Cannot ${action}: expected a tensor of shape [N, ${k}], got [${x.shape.join(", ")}]`,
    );
  }
}

/** Row vectors `[1, k]` of the canonical-form numbers; call inside `tf.tidy`. */
function parameters(scalers: readonly VariableScaler[]) {
  const k = scalers.length;
  const forms = scalers.map(canonicalForm);
  const row = (key: "center" | "spread" | "lo" | "width") =>
    tf.tensor2d(forms.map((f) => f[key]), [1, k], "float32");
  return { center: row("center"), spread: row("spread"), lo: row("lo"), width: row("width") };
}
