/**
 * Did a refit reach its target, and if not, why: typed findings with their
 * numbers, from the same graph diagnostics and structure audit that `check`
 * uses (so both commands name the same cause), and from the training itself.
 *
 * @module
 */
import { diagnoseGraph } from "../diagnose/diagnose_graph.ts";
import type { LayerNormFinding } from "../diagnose/types.ts";
import type { AnalyticReference } from "../reference/types.ts";
import { normalize } from "../scaling/scaler.ts";
import { makeSurrogate, type Surrogate } from "../surrogate/surrogate.ts";
import { auditStructure } from "../verdict/architecture.ts";
import { type Finding, finding } from "../verdict/finding.ts";
import { ortNormalizedModel } from "../verdict/normalized_model.ts";
import type { RefitResult } from "./refit.ts";

/** The default target: worst held-out row-normalized Jacobian error per output. */
export const DEFAULT_REFIT_TARGET = 0.01;

/** What can keep a refit from its target, in the order they are reported. */
export type ShortfallKind =
  | "structure" // a first-layer LayerNorm over all inputs with no path around it
  | "layer-norm-gain" // the remaining errors sit where a first-layer LayerNorm is steep
  | "still-improving" // the budget ended while the held-out loss was still falling
  | "round-off" // L-BFGS stopped: the float32 loss no longer decreases
  | "capacity" // training points are fit no better than held-out ones
  | "generalization"; // training points fit much better than held-out ones

/** The outcome of a refit against its target. */
export interface TargetOutcome {
  /** The target: largest acceptable worst row-normalized Jacobian error per output. */
  readonly target: number;
  /** Every output below the target and no output's R² lower than before. */
  readonly reached: boolean;
  /** Per output (model order): its worst held-out error is below the target. */
  readonly outputsReached: readonly boolean[];
  /** No output's held-out value R² is lower than before the refit. */
  readonly r2NotLower: boolean;
  /** Every finding tested, held or not (only computed when the target was missed). */
  readonly findings: readonly Finding<ShortfallKind>[];
  /** One sentence per finding that holds, in the order of {@linkcode ShortfallKind}. */
  readonly reasons: readonly string[];
}

/** Options of {@linkcode explainRefit}. */
export interface ExplainRefitOptions {
  /** Largest acceptable worst row-normalized Jacobian error per output. @default {0.01} */
  target?: number;
  /**
   * The analytic reference, for the structure audit (the model's response to
   * a common shift or scaling of its normalized inputs against the reference's).
   * Without it that audit is not run. @default {undefined}
   */
  reference?: AnalyticReference;
}

/** Share of failing points that must lie among the steepest tenth for `layer-norm-gain`. */
const GAIN_SHARE = 0.5;
/** Held-out / training loss ratio above which the model generalizes poorly; below 1 / this, capacity. */
const GENERALIZATION_RATIO = 3;

/**
 * Judges a refit against its target on the held-out points and, when it is
 * missed, tests each possible reason:
 *
 * - `structure`: the verdict's structure audit (`auditStructure`, as `check`
 *   runs it) on the refit model: a first-layer LayerNorm over all inputs with
 *   no path around it leaves the model unable to follow a common shift or
 *   scaling of its inputs — no refit can fix that.
 * - `layer-norm-gain`: with a first-layer LayerNorm over all `n` inputs found
 *   by `diagnoseGraph` (its gain `1/σ` per point is `1/sqrt(var(x_n) + ε)`),
 *   the share of the points above the target that lie among the tenth of the
 *   points with the highest gain; it holds at ≥ 50 % (10 % if unrelated).
 * - `still-improving`: the budget stopped training at the best checkpoint.
 * - `round-off`: L-BFGS stopped because the float32 loss no longer decreased.
 * - `capacity` / `generalization`: held-out loss ÷ training loss at the best
 *   checkpoint below 3 (the model fits its own training points no better) or
 *   above 3 (it fits them much better: more or better-placed points help).
 *
 * @param surrogate The starting model (for its scaling; not modified).
 * @param result The refit.
 * @param options Target and reference.
 */
export async function explainRefit(
  surrogate: Surrogate,
  result: RefitResult,
  options: ExplainRefitOptions = {},
): Promise<TargetOutcome> {
  const target = options.target ?? DEFAULT_REFIT_TARGET;
  const after = result.after.outputs;
  const outputsReached = after.map((o) => o.jacobianRowNormalizedError < target);
  const r2NotLower = after.every((o, i) => o.r2 >= result.before.outputs[i]!.r2);
  const reached = outputsReached.every((v) => v) && r2NotLower;
  if (reached) {
    return { target, reached, outputsReached, r2NotLower, findings: [], reasons: [] };
  }
  const findings: Finding<ShortfallKind>[] = [];
  const reasons: string[] = [];
  const holdout = result.heldOut.data;
  const { scaling } = surrogate;
  const n = result.inputs.length;
  const N = holdout.points;
  const xn = normalize(scaling.inputs, holdout.x);
  const refitModel = makeSurrogate(result.onnx, scaling);
  try {
    const diagnostics = await diagnoseGraph(result.onnx, xn, N);
    const firstLn = diagnostics.layerNorms.find((l) => l.firstLayer && l.k === n);
    if (options.reference) {
      const reference = options.reference;
      const m = result.outputs.length;
      const structure = await auditStructure(
        ortNormalizedModel(await refitModel.ortRunner("float64")),
        scaling,
        holdout.x,
        (x, points) => reference.evaluate(x, points).values.subarray(0, points * m),
        diagnostics.layerNorms,
      );
      findings.push({ ...structure.finding, kind: "structure" });
      if (structure.finding.holds) {
        reasons.push(
          `The model cannot follow the reference: its first-layer LayerNorm (${
            structure.layerNorm!.node
          }) over all ${n} inputs has no path around it, so a common shift or scaling of the normalized inputs moves its outputs by ${
            structure.finding.value.toPrecision(2)
          } of what it moves the reference's (check reports the same architecture cause); give the first layer a bypass.`,
        );
      }
    }
    if (firstLn && holdout.jacobian) {
      const jac = await refitModel.jacobian(holdout.x);
      const errors = perPointErrors(jac.values, holdout.jacobian, N, result.outputs.length);
      const gain = gainFinding(firstLn, xn, N, n, errors, target);
      findings.push(gain);
      if (gain.holds) {
        reasons.push(
          `The errors sit where the first-layer LayerNorm (${firstLn.node}) is steep: ${
            pct(gain.value)
          } of the ${gain.detail.failing} held-out points above the target are among the tenth with the highest gain 1/σ (≥ ${
            (gain.detail.gainCutoff as number).toPrecision(3)
          }, up to ${
            (gain.detail.gainMax as number).toPrecision(3)
          }), where the model's spline path amplifies input changes; a path around the LayerNorm, or fewer layers normalizing the raw inputs, would remove that amplification.`,
        );
      }
    }
  } finally {
    await refitModel.dispose();
  }
  const late = lateImprovement(result, target);
  const improving = stillImproving(result, target);
  findings.push(
    finding("still-improving", improving, late, LATE_GAIN, {
      measure:
        "how much the held-out errors (Σ over outputs of max(worst error, target)) fell over the last quarter of the run when the budget ran out",
      absent: "errors flat over the last quarter, or training stopped for another reason",
      stopReason: result.stopReason,
      bestCheckpoint: result.bestEpoch,
      lastCheckpoint: result.history.length,
    }),
  );
  if (improving) {
    reasons.push(
      `The time budget ended while the held-out errors were still falling (by ${
        (100 * Math.max(0, late)).toFixed(0)
      } % over the last quarter of the run): a longer --budget should get closer.`,
    );
  }
  const roundOff = result.stopReason === "converged";
  findings.push(
    finding("round-off", roundOff, result.lbfgs.iterations, NaN, {
      measure: "L-BFGS iterations before the float32 loss stopped decreasing",
      absent: "training stopped for another reason (budget, steps, signal)",
    }),
  );
  if (roundOff) {
    reasons.push(
      "L-BFGS stopped because the float32 loss no longer decreased: the remaining error is at the precision this training reaches.",
    );
  }
  const best = result.history[result.bestEpoch - 1];
  if (best && best.trainLoss > 0) {
    const ratio = best.holdoutLoss / best.trainLoss;
    const capacity = ratio < GENERALIZATION_RATIO;
    findings.push(
      finding("capacity", capacity, ratio, GENERALIZATION_RATIO, {
        measure: "held-out loss ÷ training loss at the best checkpoint",
        absent: "a ratio above the threshold: the training points are fit much better",
      }),
      finding("generalization", !capacity, ratio, GENERALIZATION_RATIO, {
        measure: "held-out loss ÷ training loss at the best checkpoint",
        absent: "a ratio below the threshold: held-out points are fit about as well",
      }),
    );
    reasons.push(
      capacity
        ? `The training points are fit no better than the held-out ones (loss ratio ${
          ratio.toFixed(2)
        }): more points would not help; the fit itself (training time, or the model's size) limits the error.`
        : `The training points are fit much better than the held-out ones (loss ratio ${
          ratio.toFixed(1)
        }): more training points, or points where the error is largest, should help.`,
    );
  }
  return { target, reached, outputsReached, r2NotLower, findings, reasons };
}

/** Share the held-out errors must fall by over the run's last quarter for `still-improving`. */
const LATE_GAIN = 0.05;

/**
 * How much the held-out errors fell over the last quarter of a run (by elapsed
 * time): `1 − best / best before the last quarter`, where a checkpoint's errors
 * are `Σ_i max(e_i, target)` over its outputs' worst held-out Jacobian errors
 * (its held-out loss without Jacobian targets). `NaN` with fewer than two checkpoints.
 *
 * @param result The refit.
 * @param target The target the errors are clamped at.
 */
export function lateImprovement(result: RefitResult, target: number): number {
  const history = result.history;
  if (history.length < 2) return NaN;
  const errors = (e: RefitResult["history"][number]) => {
    const s = e.holdoutJacobianError.reduce((sum, x) => sum + Math.max(x, target), 0);
    return e.holdoutJacobianError.length > 0 && Number.isFinite(s) ? s : e.holdoutLoss;
  };
  const cut = 0.75 * history.at(-1)!.elapsedMs;
  let before = Infinity, overall = Infinity;
  for (const e of history) {
    const v = errors(e);
    if (!Number.isFinite(v)) continue;
    overall = Math.min(overall, v);
    if (e.elapsedMs <= cut) before = Math.min(before, v);
  }
  return Number.isFinite(before) && before > 0 ? 1 - overall / before : NaN;
}

/**
 * Whether the budget ended a refit that was still improving: its best
 * checkpoint is the last one, or its held-out errors fell by more than 5 %
 * over the last quarter of the run ({@linkcode lateImprovement}).
 *
 * @param result The refit.
 * @param target The target the errors are clamped at.
 */
export function stillImproving(result: RefitResult, target: number): boolean {
  const last = result.history.length;
  if (result.stopReason !== "budget" || last === 0) return false;
  return result.bestEpoch === last || lateImprovement(result, target) > LATE_GAIN;
}

/** The `layer-norm-gain` finding: do the points above the target sit where the gain is highest? */
function gainFinding(
  ln: LayerNormFinding,
  xn: Float64Array,
  N: number,
  n: number,
  errors: Float64Array,
  target: number,
): Finding<"layer-norm-gain"> {
  const gains = new Float64Array(N);
  for (let k = 0; k < N; k++) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += xn[k * n + j]! / n;
    let v = 0;
    for (let j = 0; j < n; j++) v += (xn[k * n + j]! - mean) ** 2 / n;
    gains[k] = 1 / Math.sqrt(v + ln.epsilon);
  }
  const sorted = Float64Array.from(gains).sort();
  const cutoff = sorted[Math.max(0, Math.floor(0.9 * N) - 1)]!;
  let failing = 0, steep = 0;
  for (let k = 0; k < N; k++) {
    if (!(errors[k]! >= target)) continue;
    failing++;
    if (gains[k]! > cutoff) steep++;
  }
  const share = failing > 0 ? steep / failing : 0;
  return finding("layer-norm-gain", failing > 0 && share >= GAIN_SHARE, share, GAIN_SHARE, {
    measure:
      "share of the held-out points above the target that lie among the tenth with the highest first-layer LayerNorm gain",
    absent: "about 10 %: errors unrelated to the LayerNorm's gain",
    node: ln.node,
    failing,
    gainCutoff: cutoff,
    gainMax: sorted[N - 1],
    gainMedian: sorted[Math.floor(N / 2)],
  });
}

/** Per point, `max_i max_j |J − J_ref|_ij / rowScale_i` (row scales over all points). */
function perPointErrors(
  calc: ArrayLike<number>,
  ref: ArrayLike<number>,
  N: number,
  m: number,
): Float64Array {
  const n = ref.length / (N * m);
  const scale = new Float64Array(m);
  for (let k = 0; k < N; k++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        scale[i] = Math.max(scale[i]!, Math.abs(ref[(k * m + i) * n + j]!));
      }
    }
  }
  const out = new Float64Array(N);
  for (let k = 0; k < N; k++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const at = (k * m + i) * n + j;
        const e = Math.abs(calc[at]! - ref[at]!) / (scale[i]! > 0 ? scale[i]! : 1);
        out[k] = Math.max(out[k]!, Number.isNaN(e) ? Infinity : e);
      }
    }
  }
  return out;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(0)} %`;
}
