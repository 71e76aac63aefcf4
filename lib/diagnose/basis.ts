/**
 * Basis-function sites of a graph (FastKAN's Gaussian RBF, efficient-KAN's
 * B-splines) and the measured share of entering values that fall outside
 * their grids.
 *
 * @module
 */
import {
  consumersOf,
  floatConstant,
  type GraphIndex,
  type GraphNode,
  nodeLabel,
} from "./_graph.ts";
import type { ProbedTensor } from "./_probe.ts";
import { extent } from "./_stats.ts";
import type { BasisFinding, BSplineFinding, RbfFinding } from "./types.ts";

/** An RBF basis found in the graph. */
export interface RbfSite {
  readonly kind: "rbf";
  readonly node: string;
  /** The tensor entering the basis. */
  readonly input: string;
  /** Grid centres, float64. */
  readonly grid: Float64Array;
}

/** A B-spline basis found in the graph. */
export interface BSplineSite {
  readonly kind: "b-spline";
  readonly node: string;
  readonly input: string;
  /** Rows of knots `t_0 … t_K` (one row per input feature, or one shared row). */
  readonly knots: readonly Float64Array[];
  /** Number of Cox–de Boor recursion levels (the spline order `p`). */
  readonly order: number;
}

/** Either basis site. */
export type BasisSite = RbfSite | BSplineSite;

/** Elementwise ops allowed between the RBF `Sub` and its `Exp`. */
const RBF_CHAIN = new Set(["Div", "Pow", "Neg", "Mul"]);
/** Longest chain followed from the RBF `Sub` to its `Exp`. */
const RBF_CHAIN_LIMIT = 6;

/**
 * Finds RBF bases (`Sub(v, grid)` with a constant 1-D grid of at least 2
 * centres whose output reaches an `Exp` through `Div`/`Pow`/`Neg`/`Mul` only)
 * and B-spline bases (`GreaterOrEqual(v, lo)` with a `Less(v, hi)` beside it,
 * both constant knot tensors `[k, K]` or `[K]`).
 */
export function findBases(g: GraphIndex): BasisSite[] {
  const sites: BasisSite[] = [];
  for (const node of g.nodes) {
    if (node.opType === "Sub") {
      const site = rbfAt(g, node);
      if (site) sites.push(site);
    } else if (node.opType === "GreaterOrEqual") {
      const site = bSplineAt(g, node);
      if (site) sites.push(site);
    }
  }
  return sites;
}

function rbfAt(g: GraphIndex, sub: GraphNode): RbfSite | undefined {
  const [v, gridName] = sub.input ?? [];
  if (!v || !gridName || floatConstant(g, v)) return undefined;
  const grid = floatConstant(g, gridName);
  if (!grid || grid.dims.length !== 1 || grid.values.length < 2) return undefined;
  let tensor = sub.output?.[0];
  for (let step = 0; tensor && step < RBF_CHAIN_LIMIT; step++) {
    const next = g.consumers.get(tensor) ?? [];
    if (next.some((n) => n.opType === "Exp")) {
      return { kind: "rbf", node: nodeLabel(sub), input: v, grid: grid.values };
    }
    const chain = next.filter((n) => RBF_CHAIN.has(n.opType ?? ""));
    if (chain.length !== 1) return undefined;
    tensor = chain[0]!.output?.[0];
  }
  return undefined;
}

function bSplineAt(g: GraphIndex, ge: GraphNode): BSplineSite | undefined {
  const [v, loName] = ge.input ?? [];
  if (!v || !loName) return undefined;
  const lo = floatConstant(g, loName);
  const less = consumersOf(g, v, "Less").find((n) => n.input?.[0] === v && n.input?.[1]);
  const hi = less ? floatConstant(g, less.input![1]!) : undefined;
  if (!lo || !hi || lo.dims.length < 1 || lo.dims.length > 2) return undefined;
  if (lo.values.length !== hi.values.length || lo.dims.join() !== hi.dims.join()) return undefined;
  const width = lo.dims[lo.dims.length - 1]!;
  const rows = lo.values.length / width;
  const knots: Float64Array[] = [];
  for (let r = 0; r < rows; r++) {
    const row = new Float64Array(width + 1);
    row.set(lo.values.subarray(r * width, (r + 1) * width));
    row[width] = hi.values[(r + 1) * width - 1]!;
    knots.push(row);
  }
  // Recursion levels: Sub(v, c) / Sub(c, v) with constant knot differences of
  // width K - 1, K - 2, ..., K - p.
  let narrowest = width;
  for (const sub of consumersOf(g, v, "Sub")) {
    const [a, b] = sub.input ?? [];
    const c = a === v ? b : a;
    const constant = c ? floatConstant(g, c) : undefined;
    if (!constant || constant.dims.length !== lo.dims.length) continue;
    const w = constant.dims[constant.dims.length - 1]!;
    if (w < width && constant.values.length === rows * w) narrowest = Math.min(narrowest, w);
  }
  return { kind: "b-spline", node: nodeLabel(ge), input: v, knots, order: width - narrowest };
}

/**
 * Measures a basis site at the probed values of its entering tensor.
 *
 * @param site The site from {@linkcode findBases}.
 * @param v The probed entering values, dims `[N, …]`; for per-feature knots
 *   `[k, K]` its elements cycle over the `k` features (innermost non-unit axis).
 * @throws {TypeError} If per-feature knots do not match the entering tensor.
 */
export function measureBasis(site: BasisSite, v: ProbedTensor): BasisFinding {
  return site.kind === "rbf" ? measureRbf(site, v) : measureBSpline(site, v);
}

function measureRbf(site: RbfSite, v: ProbedTensor): RbfFinding {
  const grid = extent(site.grid);
  let outside = 0;
  for (const value of v.data) if (value < grid.min || value > grid.max) outside++;
  const count = v.data.length;
  const outsideShare = count === 0 ? 0 : outside / count;
  return {
    kind: "rbf",
    node: site.node,
    input: site.input,
    grid: { min: grid.min, max: grid.max, count: site.grid.length },
    count,
    outsideShare,
    coverage: coverage(extent(v.data), grid),
    values: extent(v.data),
    explanation: `${
      percent(outsideShare)
    } of the values entering this RBF basis lie outside its grid [${fmt(grid.min)}, ${
      fmt(grid.max)
    }], where the Gaussian bumps fade so the spline path's value and derivative decay toward zero`,
  };
}

function measureBSpline(site: BSplineSite, v: ProbedTensor): BSplineFinding {
  const features = site.knots.length;
  if (features > 1 && v.data.length % features !== 0) {
    throw new TypeError(
      `Cannot diagnose node "${site.node}": ${features} rows of knots do not fit input "${site.input}" of shape [${
        v.dims.join(", ")
      }]`,
    );
  }
  const last = site.knots[0]!.length - 1;
  const p = site.order;
  let outsideKnots = 0;
  let outsideCentral = 0;
  for (let e = 0; e < v.data.length; e++) {
    const t = site.knots[features > 1 ? e % features : 0]!;
    const value = v.data[e]!;
    if (value < t[0]! || value >= t[last]!) outsideKnots++;
    // Bases of degree p >= 1 are continuous and the missing one vanishes at its
    // first knot, so the sum is 1 on the closed [t_p, t_{K-p}]; for p = 0 the
    // indicators give [t_0, t_K).
    if (value < t[p]! || (p > 0 ? value > t[last - p]! : value >= t[last]!)) outsideCentral++;
  }
  let knotMin = Infinity;
  let knotMax = -Infinity;
  let centralMin = Infinity;
  let centralMax = -Infinity;
  for (const t of site.knots) {
    knotMin = Math.min(knotMin, t[0]!);
    knotMax = Math.max(knotMax, t[last]!);
    centralMin = Math.min(centralMin, t[p]!);
    centralMax = Math.max(centralMax, t[last - p]!);
  }
  const count = v.data.length;
  const share = (n: number) => (count === 0 ? 0 : n / count);
  return {
    kind: "b-spline",
    node: site.node,
    input: site.input,
    knots: { min: knotMin, max: knotMax, count: last + 1 },
    order: p,
    central: { min: centralMin, max: centralMax, intervals: last - 2 * p },
    count,
    outsideKnotShare: share(outsideKnots),
    outsideCentralShare: share(outsideCentral),
    coverage: coverage(extent(v.data), { min: centralMin, max: centralMax }),
    values: extent(v.data),
    explanation: `${
      percent(share(outsideKnots))
    } of the values entering this B-spline basis lie outside its knots [${fmt(knotMin)}, ${
      fmt(knotMax)
    }), where every basis is zero and the spline path gives neither value nor derivative, and ${
      percent(share(outsideCentral))
    } lie outside the central grid [${fmt(centralMin)}, ${fmt(centralMax)}${
      p > 0 ? "]" : ")"
    } where the bases sum to 1`,
  };
}

/** Share of `grid` spanned by `values` (0 when disjoint or empty). */
function coverage(
  values: { min: number; max: number },
  grid: { min: number; max: number },
): number {
  const width = grid.max - grid.min;
  if (!(width > 0) || Number.isNaN(values.min)) return 0;
  const span = Math.min(values.max, grid.max) - Math.max(values.min, grid.min);
  return Math.max(0, span) / width;
}

function percent(share: number): string {
  return `${Number((100 * share).toFixed(1))}%`;
}

function fmt(v: number): string {
  return Number(v.toPrecision(4)).toString();
}
