/**
 * Adaptive (residual-based) sampling for a refit with an analytic reference:
 * the reference can be evaluated anywhere, so new training points are taken
 * where the model's Jacobian is furthest from it, inside the user's box.
 *
 * @module
 */
import type { AnalyticReference } from "../reference/types.ts";
import type { Bounds } from "../sampling/bounds.ts";
import { latinHypercube } from "../sampling/latin_hypercube.ts";
import { normalize, type Scaling } from "../scaling/scaler.ts";
import type { RefitData } from "./data.ts";

/** Options of adaptive sampling (see {@linkcode refineTrainingSet}). */
export interface AdaptiveSampling {
  /** The reference giving targets at new points (its names are the model's). */
  readonly reference: AnalyticReference;
  /** The box new points are drawn from, physical units, the model's inputs in order. */
  readonly bounds: Bounds;
  /** Points added per round. @default {10 % of the starting training points, at least 1} */
  readonly points?: number;
  /** Candidates scored per round. @default {20 × points} */
  readonly candidates?: number;
  /** L-BFGS iterations between rounds. @default {50} */
  readonly every?: number;
  /** Maximum number of rounds. @default {5} */
  readonly rounds?: number;
}

/** What one round did. */
export interface AdaptiveRound {
  /** 0-based round. */
  readonly round: number;
  /** Candidates drawn (Latin hypercube in the box) and scored. */
  readonly candidates: number;
  /** Candidates where the reference is undefined, left out. */
  readonly undefinedCandidates: number;
  /** Points added to the training set. */
  readonly added: number;
  /**
   * Candidate score `max_ij |J − J_ref|_ij / rowScale_i` (row scales over the pool):
   * the largest, the median over the pool and the smallest among the added points.
   */
  readonly score: { readonly max: number; readonly median: number; readonly addedMin: number };
}

/** What {@linkcode refineTrainingSet} needs from the refit in progress. */
export interface RefineContext {
  /** 0-based round (seeds the candidates with the refit's seed). */
  readonly round: number;
  /** The refit's seed. */
  readonly seed: number;
  /** Training points at the start of the refit (sets the default number added). */
  readonly trainPoints: number;
  /** The model's normalized values and Jacobians at normalized points `[N, n]`. */
  readonly modelAt: (xn: Float32Array) => { y: Float32Array; jacobian: Float32Array };
  /** The surrogate's scaling. */
  readonly scaling: Scaling;
}

/**
 * One round of residual-based refinement: draws a Latin hypercube of
 * candidates in `bounds` (seeded by the refit's seed and the round), evaluates
 * the model's Jacobian and the reference there, scores each candidate by its
 * worst row-normalized Jacobian error `max_ij |J − J_ref|_ij / rowScale_i`
 * (physical units, `rowScale_i = max |J_ref|` of output `i` over the pool) and
 * returns the highest-scoring ones with their targets. After `rounds` rounds it
 * returns no points.
 *
 * @param adaptive The sampling options.
 * @param context The model in training and the round.
 * @returns The new points (physical targets) and a summary of the round.
 */
export function refineTrainingSet(
  adaptive: AdaptiveSampling,
  context: RefineContext,
): { data: RefitData; summary: AdaptiveRound } {
  const { reference, bounds } = adaptive;
  const n = reference.inputs.length;
  const m = reference.outputs.length;
  const want = adaptive.points ?? Math.max(1, Math.round(0.1 * context.trainPoints));
  const pool = adaptive.candidates ?? 20 * want;
  const empty: RefitData = {
    source: "adaptive sampling",
    points: 0,
    inputs: reference.inputs,
    outputs: reference.outputs,
    x: new Float64Array(0),
    values: new Float64Array(0),
    jacobian: new Float64Array(0),
  };
  if (context.round >= (adaptive.rounds ?? 5)) {
    return {
      data: empty,
      summary: {
        round: context.round,
        candidates: 0,
        undefinedCandidates: 0,
        added: 0,
        score: { max: NaN, median: NaN, addedMin: NaN },
      },
    };
  }
  const table = latinHypercube(bounds, pool, {
    seed: (context.seed + 7919 * (context.round + 1)) >>> 0,
    iterations: 0,
  });
  const result = reference.evaluate(table.data, pool);
  const bad = new Set(result.invalid.map((e) => e.row));
  const keep = Array.from({ length: pool }, (_, k) => k).filter((k) => !bad.has(k));
  const x = pick(table.data, keep, n);
  const values = pick(result.values, keep, m);
  const jacobian = pick(result.jacobian, keep, m * n);
  const N = keep.length;
  const model = context.modelAt(Float32Array.from(normalize(context.scaling.inputs, x)));
  const rowScale = new Float64Array(m);
  for (let k = 0; k < N; k++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        rowScale[i] = Math.max(rowScale[i]!, Math.abs(jacobian[(k * m + i) * n + j]!));
      }
    }
  }
  const scores = new Float64Array(N);
  for (let k = 0; k < N; k++) {
    let worst = 0;
    for (let i = 0; i < m; i++) {
      const so = context.scaling.outputs[i]!.scale;
      for (let j = 0; j < n; j++) {
        const at = (k * m + i) * n + j;
        const phys = model.jacobian[at]! * context.scaling.inputs[j]!.scale / so;
        const e = Math.abs(phys - jacobian[at]!) / (rowScale[i]! > 0 ? rowScale[i]! : 1);
        worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
      }
    }
    scores[k] = worst;
  }
  const ranked = Array.from({ length: N }, (_, k) => k).sort((a, b) => scores[b]! - scores[a]!);
  const chosen = ranked.slice(0, Math.min(want, N)).sort((a, b) => a - b);
  const sorted = Float64Array.from(scores).sort();
  return {
    data: {
      source: "adaptive sampling",
      points: chosen.length,
      inputs: reference.inputs,
      outputs: reference.outputs,
      x: pick(x, chosen, n),
      values: pick(values, chosen, m),
      jacobian: pick(jacobian, chosen, m * n),
    },
    summary: {
      round: context.round,
      candidates: pool,
      undefinedCandidates: bad.size,
      added: chosen.length,
      score: {
        max: N > 0 ? sorted[N - 1]! : NaN,
        median: N > 0 ? sorted[Math.floor(N / 2)]! : NaN,
        addedMin: chosen.length > 0 ? scores[ranked[chosen.length - 1]!]! : NaN,
      },
    },
  };
}

function pick(a: Float64Array, rows: readonly number[], width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, k) => out.set(a.subarray(r * width, (r + 1) * width), k * width));
  return out;
}
