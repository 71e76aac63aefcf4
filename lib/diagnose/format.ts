/**
 * Plain-text and JSON forms of {@linkcode GraphDiagnostics}.
 *
 * @module
 */
import type {
  BasisFinding,
  GraphDiagnostics,
  LayerNormFinding,
  SaturationFinding,
} from "./types.ts";

/**
 * Aligned plain-text lines: a heading, then one line per finding with its
 * kind, node, what was measured and the one-sentence explanation.
 *
 * @example Usage
 * ```ts
 * import { formatDiagnostics } from "./format.ts";
 * const text = formatDiagnostics({
 *   source: "m.onnx", points: 2, dtype: "float32", layerNorms: [], bases: [],
 *   saturations: [{
 *     kind: "saturation", node: "gate", activation: "sigmoid", siluGate: false, count: 4,
 *     level: 0.01, zThreshold: 5.99, share: 0.25, values: { min: 0.1, max: 0.9997 },
 *     explanation: "25% of the outputs of this sigmoid are saturated",
 *   }],
 * });
 * if (!text.split("\n")[1]!.startsWith("saturation  gate  sigmoid: 25% saturated")) throw new Error(text);
 * ```
 */
export function formatDiagnostics(d: GraphDiagnostics): string {
  const rows: [string, string, string, string][] = [
    ...d.layerNorms.map((f) =>
      ["layer-norm", f.node, measuredLayerNorm(f), f.explanation] as const
    ),
    ...d.bases.map((f) => [f.kind, f.node, measuredBasis(f), f.explanation] as const),
    ...d.saturations.map((f) =>
      ["saturation", f.node, measuredSaturation(f), f.explanation] as const
    ),
  ].map((r) => [...r]);
  const heading = `Graph diagnostics of ${d.source} at ${d.points} points (${d.dtype}): ${
    rows.length === 0
      ? "no layer normalization, basis or sigmoid/tanh node found"
      : `${rows.length} findings`
  }`;
  const widths = [0, 1, 2].map((c) => Math.max(0, ...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) =>
    r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell)).join("  ").trimEnd()
  );
  return [heading, ...lines].join("\n");
}

/**
 * A JSON-ready copy of the diagnostics: the same fields, with non-finite
 * numbers (an infinite gain when σ = 0, the `NaN` extent of no values) as `null`.
 *
 * @example Usage
 * ```ts
 * import { diagnosticsToJson } from "./format.ts";
 * const json = diagnosticsToJson({
 *   source: "m.onnx", points: 1, dtype: "float32", layerNorms: [], bases: [], saturations: [],
 * });
 * if (JSON.stringify(json) !== '{"source":"m.onnx","points":1,"dtype":"float32","layerNorms":[],"bases":[],"saturations":[]}') {
 *   throw new Error(JSON.stringify(json));
 * }
 * ```
 */
export function diagnosticsToJson(d: GraphDiagnostics): Record<string, unknown> {
  return finiteOrNull(d) as Record<string, unknown>;
}

function finiteOrNull(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(finiteOrNull);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, finiteOrNull(v)]));
  }
  return value;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Number(v.toPrecision(3)).toString();
}

function pct(share: number): string {
  return `${Number((100 * share).toFixed(1))}%`;
}

function measuredLayerNorm(f: LayerNormFinding): string {
  const rank = f.rank.min === f.rank.max ? `${f.rank.min}` : `${f.rank.min}..${f.rank.max}`;
  return `k=${f.k}, rank ${rank} of ${f.k}, σ min ${num(f.sigma.min)} median ${
    num(f.sigma.median)
  }, gain max ${num(f.gain.max)} median ${num(f.gain.median)}${
    f.firstLayer ? ", first layer" : ""
  }`;
}

function measuredBasis(f: BasisFinding): string {
  const values = `values [${num(f.values.min)}, ${num(f.values.max)}]`;
  if (f.kind === "rbf") {
    return `grid [${num(f.grid.min)}, ${num(f.grid.max)}] (${f.grid.count}), ${
      pct(f.outsideShare)
    } outside, ${values} covering ${pct(f.coverage)} of the grid`;
  }
  return `knots [${num(f.knots.min)}, ${num(f.knots.max)}], order ${f.order}, central [${
    num(f.central.min)
  }, ${num(f.central.max)}] (${f.central.intervals}), ${pct(f.outsideKnotShare)} outside knots, ${
    pct(f.outsideCentralShare)
  } outside central, ${values} covering ${pct(f.coverage)} of the central grid`;
}

function measuredSaturation(f: SaturationFinding): string {
  return `${f.siluGate ? "SiLU gate" : f.activation}: ${pct(f.share)} saturated (|z| > ${
    f.zThreshold.toFixed(2)
  })`;
}
