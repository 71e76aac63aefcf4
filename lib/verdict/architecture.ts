/**
 * Structural evidence that a model cannot represent the reference: a
 * first-layer LayerNorm over all the model's inputs with no path around it
 * removes their common shift and scale. If so, the model's output does not
 * move when the normalized inputs are shifted together or scaled about their
 * mean, while the reference does. This probes exactly that, at the evaluated
 * points, through the whole model (a bypass would make the model move).
 *
 * @module
 */
import type { LayerNormFinding } from "../diagnose/types.ts";
import type { Scaling } from "../scaling/scaler.ts";
import { denormalize, normalize } from "../scaling/scaler.ts";
import { type Finding, finding } from "./finding.ts";
import type { NormalizedModel } from "./normalized_model.ts";

/** Thresholds of the invariance probe. */
export const INVARIANCE_DEFAULTS = {
  /** Size of the probe: a shift of every normalized input by this, or a scaling by 1 + this. */
  step: 0.05,
  /**
   * The model is called invariant along a direction when its response is below this
   * share of the reference's (both in units of each output's spread over the points).
   */
  ratio: 0.05,
  /** The reference must respond at least this much (in units of each output's spread). */
  referenceResponse: 0.01,
} as const;

/** The response to one direction the LayerNorm removes. */
export interface InvarianceProbe {
  /** `"shift"`: `x̂ + δ·1`; `"scale"`: `mean(x̂) + (1 + δ)(x̂ − mean(x̂))` per point. */
  readonly direction: "shift" | "scale";
  /** RMS over points and outputs of the model's change, in units of each output's spread. */
  readonly model: number;
  /** The same for the reference. */
  readonly reference: number;
  /** `model / reference`. */
  readonly ratio: number;
  /** Points used (those where the reference is defined at the moved point). */
  readonly points: number;
}

/** The structural finding and its probes. */
export interface StructureAudit {
  /** The first-layer LayerNorm probed, if any. */
  readonly layerNorm?: { readonly node: string; readonly k: number; readonly rank: number };
  readonly probes: readonly InvarianceProbe[];
  readonly finding: Finding<"structure">;
}

/**
 * Probes a model for the invariances of a first-layer LayerNorm over all its inputs.
 *
 * @param model The model in normalized units.
 * @param scaling Its scaling.
 * @param x Points `[N, n]`, physical units.
 * @param reference The reference's values at physical points (`[N, m]`, NaN where undefined),
 *   its outputs in the scaling's output order.
 * @param layerNorms The graph's layer normalizations (from `diagnoseGraph`).
 */
export async function auditStructure(
  model: NormalizedModel,
  scaling: Scaling,
  x: Float64Array,
  reference: (x: Float64Array, points: number) => Float64Array,
  layerNorms: readonly LayerNormFinding[],
  options: Partial<typeof INVARIANCE_DEFAULTS> = {},
): Promise<StructureAudit> {
  const o = { ...INVARIANCE_DEFAULTS, ...options };
  const n = scaling.inputs.length;
  const m = scaling.outputs.length;
  const ln = layerNorms.find((l) => l.firstLayer && l.k === n);
  if (!ln) {
    return {
      probes: [],
      finding: finding("structure", false, NaN, o.ratio, {
        measure: "model's response along the directions a first-layer LayerNorm removes",
        absent: "not applicable: no LayerNorm over all the model's inputs at its first layer",
        tested: false,
      }),
    };
  }
  const N = x.length / n;
  const xn = normalize(scaling.inputs, x);
  const moved = (direction: "shift" | "scale") => {
    const out = new Float64Array(xn.length);
    for (let k = 0; k < N; k++) {
      let mean = 0;
      for (let j = 0; j < n; j++) mean += xn[k * n + j]!;
      mean /= n;
      for (let j = 0; j < n; j++) {
        const v = xn[k * n + j]!;
        out[k * n + j] = direction === "shift" ? v + o.step : mean + (1 + o.step) * (v - mean);
      }
    }
    return out;
  };
  const shifted = moved("shift");
  const scaled = moved("scale");
  const batch = new Float64Array(3 * xn.length);
  batch.set(xn, 0);
  batch.set(shifted, xn.length);
  batch.set(scaled, 2 * xn.length);
  const y = await model.forward(batch, 3 * N);
  const physical = denormalize(scaling.outputs, y);
  const g0 = reference(x, N);
  const spread = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let mean = 0;
    let count = 0;
    for (let k = 0; k < N; k++) {
      const v = g0[k * m + i]!;
      if (Number.isFinite(v)) [mean, count] = [mean + v, count + 1];
    }
    mean /= count;
    let s = 0;
    for (let k = 0; k < N; k++) {
      const v = g0[k * m + i]!;
      if (Number.isFinite(v)) s += (v - mean) ** 2;
    }
    spread[i] = Math.sqrt(s / count) || 1;
  }
  const probes = (["shift", "scale"] as const).map((direction, d): InvarianceProbe => {
    const xm = denormalize(scaling.inputs, d === 0 ? shifted : scaled);
    const g1 = reference(xm, N);
    let sm = 0;
    let sr = 0;
    let used = 0;
    for (let k = 0; k < N; k++) {
      let ok = true;
      for (let i = 0; i < m; i++) {
        if (!Number.isFinite(g0[k * m + i]!) || !Number.isFinite(g1[k * m + i]!)) ok = false;
      }
      if (!ok) continue;
      used++;
      for (let i = 0; i < m; i++) {
        const dm = (physical[(d + 1) * N * m + k * m + i]! - physical[k * m + i]!) / spread[i]!;
        const dr = (g1[k * m + i]! - g0[k * m + i]!) / spread[i]!;
        sm += dm * dm;
        sr += dr * dr;
      }
    }
    const modelRms = Math.sqrt(sm / Math.max(1, used * m));
    const refRms = Math.sqrt(sr / Math.max(1, used * m));
    return {
      direction,
      model: modelRms,
      reference: refRms,
      ratio: refRms > 0 ? modelRms / refRms : NaN,
      points: used,
    };
  });
  const invariant = probes.filter((p) => p.reference >= o.referenceResponse && p.ratio <= o.ratio);
  const ratio = Math.min(...probes.map((p) => (Number.isNaN(p.ratio) ? Infinity : p.ratio)));
  return {
    layerNorm: { node: ln.node, k: ln.k, rank: ln.rank.min },
    probes,
    finding: finding("structure", invariant.length > 0, ratio, o.ratio, {
      measure:
        "the model's response to a common shift / scaling of its normalized inputs, as a share of the reference's",
      absent:
        "a model with a path around the LayerNorm responds like the reference (share of order 1)",
      node: ln.node,
      directions: invariant.map((p) => p.direction),
      tested: true,
    }),
  };
}
