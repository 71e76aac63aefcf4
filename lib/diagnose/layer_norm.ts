/**
 * Layer normalization sites of a graph (the `LayerNormalization` op and its
 * decomposed opset-13 form) and the measured rank, σ and gain of their
 * Jacobians at the evaluation points.
 *
 * @module
 */
import {
  constantOf,
  constantValues,
  consumersOf,
  floatAttribute,
  floatConstant,
  type GraphIndex,
  type GraphNode,
  intAttribute,
  intsAttribute,
  isModelInput,
  nodeLabel,
} from "./_graph.ts";
import type { ProbedTensor } from "./_probe.ts";
import { extent, median } from "./_stats.ts";
import { DEFAULT_RANK_TOLERANCE, numericalRank } from "./rank.ts";
import type { LayerNormFinding } from "./types.ts";

/** A layer normalization found in the graph, before measurement. */
export interface LayerNormSite {
  readonly node: string;
  readonly nodes: readonly string[];
  readonly pattern: "op" | "decomposed";
  /** The normalized tensor `X`. */
  readonly input: string;
  /** First normalized axis (negative counts from the end). */
  readonly axis: number;
  readonly epsilon: number;
  /** γ, or `undefined` when the graph applies none (or it is not a constant: taken as 1). */
  readonly gamma: Float64Array | undefined;
  readonly firstLayer: boolean;
}

/** Default ε of `LayerNormalization` (ONNX: a float attribute, so float32 1e-5). */
const ONNX_LAYER_NORM_EPSILON = Math.fround(1e-5);

/**
 * Finds every layer normalization of the graph: `LayerNormalization` nodes and
 * the decomposed pattern `ReduceMean(X)` over the last axis → `Sub(X, mean)` →
 * `Pow(·, 2)` (or `Mul(d, d)`) → `ReduceMean` → `Add(ε)` → `Sqrt` → `Div(d, ·)`,
 * optionally followed by `Mul(γ)`.
 */
export function findLayerNorms(g: GraphIndex): LayerNormSite[] {
  const sites: LayerNormSite[] = [];
  for (const node of g.nodes) {
    if (node.opType === "LayerNormalization" && (node.domain ?? "") === "") {
      const input = node.input?.[0] ?? "";
      const scale = node.input?.[1] ? floatConstant(g, node.input[1]) : undefined;
      sites.push({
        node: nodeLabel(node),
        nodes: [nodeLabel(node)],
        pattern: "op",
        input,
        axis: intAttribute(node, "axis", -1),
        epsilon: floatAttribute(node, "epsilon", ONNX_LAYER_NORM_EPSILON),
        gamma: scale?.values,
        firstLayer: isModelInput(g, input),
      });
    } else if (node.opType === "ReduceMean") {
      const site = decomposedAt(g, node);
      if (site) sites.push(site);
    }
  }
  return sites;
}

function reducesLastAxisOnly(g: GraphIndex, node: GraphNode): boolean {
  const axesInput = node.input?.[1] ? constantOf(g, node.input[1]) : undefined;
  const axes = intsAttribute(node, "axes") ??
    (axesInput ? Array.from(constantValues(axesInput)) : undefined);
  return axes !== undefined && axes.length === 1 && axes[0] === -1 &&
    intAttribute(node, "keepdims", 1) === 1;
}

function scalarConstant(g: GraphIndex, tensor: string | undefined | null): number | undefined {
  if (!tensor) return undefined;
  const c = floatConstant(g, tensor);
  return c && c.values.length === 1 ? c.values[0] : undefined;
}

/** The other input of a binary node, given one of them. */
function other(node: GraphNode, tensor: string): string | undefined {
  const [a, b] = node.input ?? [];
  if (a === tensor) return b ?? undefined;
  if (b === tensor) return a ?? undefined;
  return undefined;
}

function decomposedAt(g: GraphIndex, mean: GraphNode): LayerNormSite | undefined {
  const x = mean.input?.[0];
  const meanOut = mean.output?.[0];
  if (!x || !meanOut || !reducesLastAxisOnly(g, mean)) return undefined;
  const sub = consumersOf(g, meanOut, "Sub").find((n) =>
    n.input?.[0] === x && n.input?.[1] === meanOut
  );
  const d = sub?.output?.[0];
  if (!sub || !d) return undefined;
  const square = (g.consumers.get(d) ?? []).find((n) =>
    (n.opType === "Pow" && n.input?.[0] === d && scalarConstant(g, n.input?.[1]) === 2) ||
    (n.opType === "Mul" && n.input?.[0] === d && n.input?.[1] === d)
  );
  const sq = square?.output?.[0];
  const variance = sq
    ? consumersOf(g, sq, "ReduceMean").find((n) => reducesLastAxisOnly(g, n))
    : undefined;
  const v = variance?.output?.[0];
  const addEps = v ? consumersOf(g, v, "Add")[0] : undefined;
  const epsilon = addEps && v ? scalarConstant(g, other(addEps, v)) : undefined;
  const sqrt = addEps?.output?.[0] ? consumersOf(g, addEps.output[0], "Sqrt")[0] : undefined;
  const s = sqrt?.output?.[0];
  const div = s
    ? consumersOf(g, s, "Div").find((n) => n.input?.[0] === d && n.input?.[1] === s)
    : undefined;
  if (!square || !variance || !addEps || epsilon === undefined || !sqrt || !div) return undefined;
  const nodes = [mean, sub, square, variance, addEps, sqrt, div];
  const z = div.output?.[0] ?? "";
  let gamma: Float64Array | undefined;
  const mul = consumersOf(g, z, "Mul")[0];
  const gammaName = mul ? other(mul, z) : undefined;
  const gammaConst = gammaName ? floatConstant(g, gammaName) : undefined;
  if (mul && gammaConst) {
    gamma = gammaConst.values;
    nodes.push(mul);
    const shifted = mul.output?.[0];
    const addBeta = shifted ? consumersOf(g, shifted, "Add")[0] : undefined;
    const beta = addBeta && shifted ? other(addBeta, shifted) : undefined;
    if (addBeta && beta && floatConstant(g, beta)) nodes.push(addBeta);
  }
  return {
    node: nodeLabel(mean),
    nodes: nodes.map(nodeLabel),
    pattern: "decomposed",
    input: x,
    axis: -1,
    epsilon,
    gamma,
    firstLayer: isModelInput(g, x),
  };
}

/** Options of {@linkcode measureLayerNorm}. */
export interface MeasureLayerNormOptions {
  /**
   * Relative pivot tolerance of the rank ({@linkcode numericalRank}).
   * @default {1e-3}
   */
  rankTolerance?: number;
}

/**
 * Measures a layer normalization at the probed values of its input `X`:
 * for each normalized row (float64 from the float32 values), σ, 1/σ and the
 * numerical rank of `diag(γ)/σ · (I − 11ᵀ/k − zzᵀ/k)` (rows with σ = 0 have
 * none and are counted in `singularRows`).
 *
 * @param site The site from {@linkcode findLayerNorms}.
 * @param x The probed input, dims `[N, …]`.
 * @throws {TypeError} If the normalized axis does not exist in `x`'s dims or γ's length is not 1 or `k`.
 */
export function measureLayerNorm(
  site: LayerNormSite,
  x: ProbedTensor,
  options: MeasureLayerNormOptions = {},
): LayerNormFinding {
  const rankTolerance = options.rankTolerance ?? DEFAULT_RANK_TOLERANCE;
  const rankOf = x.dims.length;
  const axis = site.axis < 0 ? site.axis + rankOf : site.axis;
  if (axis < 1 || axis >= rankOf) {
    throw new TypeError(
      `Cannot diagnose node "${site.node}": axis ${site.axis} does not fit input "${site.input}" of shape [${
        x.dims.join(", ")
      }]`,
    );
  }
  let k = 1;
  for (let i = axis; i < rankOf; i++) k *= x.dims[i]!;
  const gamma = site.gamma ?? Float64Array.of(1);
  if (gamma.length !== 1 && gamma.length !== k) {
    throw new TypeError(
      `Cannot diagnose node "${site.node}": γ has ${gamma.length} values for rows of ${k}`,
    );
  }
  const rows = x.data.length / k;
  const sigma = new Float64Array(rows);
  const gain = new Float64Array(rows);
  const ranks = new Float64Array(rows);
  const z = new Float64Array(k);
  const jac = new Float64Array(k * k);
  for (let r = 0; r < rows; r++) {
    const row = x.data.subarray(r * k, (r + 1) * k);
    let mean = 0;
    for (const v of row) mean += v;
    mean /= k;
    let variance = 0;
    for (const v of row) variance += (v - mean) * (v - mean);
    variance /= k;
    const s = Math.sqrt(variance + site.epsilon);
    sigma[r] = s;
    gain[r] = 1 / s;
    for (let i = 0; i < k; i++) z[i] = (row[i]! - mean) / s;
    for (let i = 0; i < k; i++) {
      const gi = gamma.length === 1 ? gamma[0]! : gamma[i]!;
      for (let j = 0; j < k; j++) {
        jac[i * k + j] = (gi / s) * ((i === j ? 1 : 0) - 1 / k - (z[i]! * z[j]!) / k);
      }
    }
    // σ = 0 (ε = 0 and k equal values): the normalization is 0/0 and has no Jacobian
    ranks[r] = s > 0 ? numericalRank(jac, k, { tolerance: rankTolerance }) : NaN;
  }
  const defined = ranks.filter((r) => !Number.isNaN(r));
  const singularRows = rows - defined.length;
  const rank = extent(defined);
  const sigmaMin = extent(sigma).min;
  const gainMax = extent(gain).max;
  const counts = new Map<number, number>();
  for (const r of defined) counts.set(r, (counts.get(r) ?? 0) + 1);
  const rankCounts = [...counts].sort((a, b) => a[0] - b[0]).map(([r, n]) => ({
    rank: r,
    rows: n,
  }));
  const atMin = rankCounts[0]?.rows ?? 0;
  const where = rank.min === rank.max
    ? ""
    : ` at ${atMin} of ${rows} rows (up to ${rank.max} where ε keeps the scale direction alive)`;
  const explanation = site.firstLayer
    ? `Layer normalization of the ${k} model inputs removes their common shift and scale, so what reads its output sees only ${rank.min} of the ${k} input directions${where}, and it amplifies input changes by 1/σ up to ${
      round(gainMax)
    } where the inputs are nearly equal`
    : `Layer normalization over ${k} hidden values removes their common shift and scale, keeping ${rank.min} of the ${k} directions${where}, and amplifies changes by 1/σ up to ${
      round(gainMax)
    }`;
  return {
    kind: "layer-norm",
    node: site.node,
    nodes: site.nodes,
    pattern: site.pattern,
    input: site.input,
    firstLayer: site.firstLayer,
    k,
    rows,
    epsilon: site.epsilon,
    rank,
    rankCounts,
    singularRows,
    rankTolerance,
    sigma: { min: sigmaMin, median: median(sigma) },
    gain: { max: gainMax, median: median(gain) },
    gainPerRow: Array.from(gain),
    explanation,
  };
}

function round(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : String(v);
}
