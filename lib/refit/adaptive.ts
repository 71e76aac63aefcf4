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
import { mulberry32 } from "../sampling/prng.ts";
import { normalize, type Scaling } from "../scaling/scaler.ts";
import { concatFloat64, type RefitData } from "./data.ts";

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
  const random = mulberry32((context.seed + 7919 * (context.round + 1)) >>> 0);
  // Stage 1: the box's corners and a Latin hypercube, half of it in the arcsine density.
  const first = scoreCandidates(firstDesign(bounds, pool, random), n, m, reference, context);
  // Stage 2: around the worst 5 % of stage 1, where the error concentrates.
  const worst = rank(first.scores).slice(0, Math.max(1, Math.round(0.05 * first.points)));
  const second = scoreCandidates(
    localDesign(first.x, worst, bounds, pool - first.drawn, random),
    n,
    m,
    reference,
    context,
    first.rowScale,
  );
  const all = joinScored(first, second);
  const spacing = Math.pow(context.trainPoints, -1 / n);
  const chosen = pickSpread(all, bounds, n, want, 0.5 * spacing);
  const N = all.points;
  const sorted = Float64Array.from(all.scores).sort();
  const lowest = chosen.reduce((lo, k) => Math.min(lo, all.scores[k]!), Infinity);
  return {
    data: {
      source: "adaptive sampling",
      points: chosen.length,
      inputs: reference.inputs,
      outputs: reference.outputs,
      x: pick(all.x, chosen, n),
      values: pick(all.values, chosen, m),
      jacobian: pick(all.jacobian, chosen, m * n),
    },
    summary: {
      round: context.round,
      candidates: all.drawn,
      undefinedCandidates: all.undefined,
      added: chosen.length,
      score: {
        max: N > 0 ? sorted[N - 1]! : NaN,
        median: N > 0 ? sorted[Math.floor(N / 2)]! : NaN,
        addedMin: chosen.length > 0 ? lowest : NaN,
      },
    },
  };
}

/** Candidates with their targets and scores (physical units). */
interface Scored {
  /** Candidates drawn, including those where the reference is undefined. */
  readonly drawn: number;
  /** Candidates where the reference is undefined (left out). */
  readonly undefined: number;
  /** Candidates kept. */
  readonly points: number;
  readonly x: Float64Array;
  readonly values: Float64Array;
  readonly jacobian: Float64Array;
  /** Worst row-normalized Jacobian error of each kept candidate. */
  readonly scores: Float64Array;
  /** The row scales the scores are relative to. */
  readonly rowScale: Float64Array;
}

/**
 * Evaluates the reference and the model at candidates `x` (physical `[k, n]`)
 * and scores each by `max_ij |J − J_ref|_ij / rowScale_i` (physical units;
 * `rowScale_i = max |J_ref|` of output `i` over these candidates unless given).
 */
function scoreCandidates(
  x0: Float64Array,
  n: number,
  m: number,
  reference: AnalyticReference,
  context: RefineContext,
  givenRowScale?: Float64Array,
): Scored {
  const drawn = x0.length / n;
  if (drawn === 0) {
    const none = new Float64Array(0);
    return {
      drawn,
      undefined: 0,
      points: 0,
      x: none,
      values: none,
      jacobian: none,
      scores: none,
      rowScale: givenRowScale ?? new Float64Array(m),
    };
  }
  const result = reference.evaluate(x0, drawn);
  const bad = new Set(result.invalid.map((e) => e.row));
  const keep = Array.from({ length: drawn }, (_, k) => k).filter((k) => !bad.has(k));
  const x = pick(x0, keep, n);
  const values = pick(result.values, keep, m);
  const jacobian = pick(result.jacobian, keep, m * n);
  const N = keep.length;
  const model = context.modelAt(Float32Array.from(normalize(context.scaling.inputs, x)));
  const rowScale = givenRowScale ?? new Float64Array(m);
  for (let k = 0; k < N && !givenRowScale; k++) {
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
  return { drawn, undefined: bad.size, points: N, x, values, jacobian, scores, rowScale };
}

/**
 * The first stage's candidates (physical `[k, n]`, `k ≤ pool / 2`): the box's
 * `2^n` corners when they are at most an eighth of `pool / 2`, then a Latin
 * hypercube whose second half is mapped through `u → (1 − cos πu)/2` per
 * coordinate (the arcsine density, dense near faces and corners, where a
 * uniform design leaves the most room between points).
 */
function firstDesign(bounds: Bounds, pool: number, random: () => number): Float64Array {
  const n = bounds.names.length;
  const size = Math.max(1, Math.floor(pool / 2));
  const corners = n <= 16 && 2 ** n <= size / 8 ? 2 ** n : 0;
  const lhs = size - corners;
  const table = lhs > 0
    ? latinHypercube(bounds, lhs, { seed: Math.floor(random() * 2 ** 32), iterations: 0 })
    : undefined;
  const x = new Float64Array(size * n);
  for (let c = 0; c < corners; c++) {
    for (let j = 0; j < n; j++) x[c * n + j] = (c >> j) & 1 ? bounds.max[j]! : bounds.min[j]!;
  }
  if (table) x.set(table.data, corners * n);
  for (let k = corners + Math.ceil(lhs / 2); k < size; k++) {
    for (let j = 0; j < n; j++) {
      const lo = bounds.min[j]!, width = bounds.max[j]! - lo;
      const u = (x[k * n + j]! - lo) / width;
      x[k * n + j] = lo + width * (1 - Math.cos(Math.PI * u)) / 2;
    }
  }
  return x;
}

/**
 * `count` candidates (physical `[count, n]`) drawn around the points `rows` of
 * `x` in turn: each coordinate moved by a normal step of 5 % of its range,
 * clipped to the box.
 */
function localDesign(
  x: Float64Array,
  rows: readonly number[],
  bounds: Bounds,
  count: number,
  random: () => number,
): Float64Array {
  const n = bounds.names.length;
  const out = new Float64Array(Math.max(0, count) * n);
  if (rows.length === 0) return new Float64Array(0);
  for (let k = 0; k < count; k++) {
    const r = rows[k % rows.length]!;
    for (let j = 0; j < n; j++) {
      const lo = bounds.min[j]!, hi = bounds.max[j]!;
      const v = x[r * n + j]! + 0.05 * (hi - lo) * normal(random);
      out[k * n + j] = Math.min(hi, Math.max(lo, v));
    }
  }
  return out;
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Indices by decreasing score. */
function rank(scores: Float64Array): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
}

function joinScored(a: Scored, b: Scored): Scored {
  return {
    drawn: a.drawn + b.drawn,
    undefined: a.undefined + b.undefined,
    points: a.points + b.points,
    x: concatFloat64(a.x, b.x),
    values: concatFloat64(a.values, b.values),
    jacobian: concatFloat64(a.jacobian, b.jacobian),
    scores: concatFloat64(a.scores, b.scores),
    rowScale: a.rowScale,
  };
}

/**
 * Up to `want` candidates by decreasing score, skipping any closer than
 * `minDistance` (in the unit box) to one already taken, so that the points
 * spread over every region of large error instead of piling up in one.
 * Returns their indices in increasing order.
 */
function pickSpread(
  all: Scored,
  bounds: Bounds,
  n: number,
  want: number,
  minDistance: number,
): number[] {
  const unit = (k: number, j: number) =>
    (all.x[k * n + j]! - bounds.min[j]!) / (bounds.max[j]! - bounds.min[j]!);
  const taken: number[] = [];
  const d2 = minDistance * minDistance;
  for (const k of rank(all.scores)) {
    if (taken.length >= want) break;
    const near = taken.some((t) => {
      let s = 0;
      for (let j = 0; j < n && s < d2; j++) s += (unit(k, j) - unit(t, j)) ** 2;
      return s < d2;
    });
    if (!near) taken.push(k);
  }
  return taken.sort((a, b) => a - b);
}

function pick(a: Float64Array, rows: readonly number[], width: number): Float64Array {
  const out = new Float64Array(rows.length * width);
  rows.forEach((r, k) => out.set(a.subarray(r * width, (r + 1) * width), k * width));
  return out;
}
