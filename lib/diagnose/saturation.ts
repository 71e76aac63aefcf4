/**
 * Saturation of `Sigmoid` and `Tanh` nodes: the share of outputs whose local
 * derivative is a small fraction of its maximum, so almost no gradient passes.
 *
 * @module
 */
import { consumersOf, type GraphIndex, nodeLabel } from "./_graph.ts";
import type { ProbedTensor } from "./_probe.ts";
import { extent } from "./_stats.ts";
import type { SaturationFinding } from "./types.ts";

/** A `Sigmoid` or `Tanh` node found in the graph. */
export interface SaturationSite {
  readonly node: string;
  readonly activation: "sigmoid" | "tanh";
  /** The node's output tensor. */
  readonly output: string;
  /** True for a sigmoid whose input also feeds a `Mul` with its output (SiLU). */
  readonly siluGate: boolean;
}

/** Default fraction of the largest derivative below which an output counts as saturated. */
export const DEFAULT_SATURATION_LEVEL = 0.01;

/** Finds every `Sigmoid` and `Tanh` node, marking SiLU gates (`Mul(z, Sigmoid(z))`). */
export function findSaturations(g: GraphIndex): SaturationSite[] {
  const sites: SaturationSite[] = [];
  for (const node of g.nodes) {
    if (node.opType !== "Sigmoid" && node.opType !== "Tanh") continue;
    const z = node.input?.[0] ?? "";
    const out = node.output?.[0] ?? "";
    const siluGate = node.opType === "Sigmoid" &&
      consumersOf(g, out, "Mul").some((m) => (m.input ?? []).includes(z));
    sites.push({
      node: nodeLabel(node),
      activation: node.opType === "Sigmoid" ? "sigmoid" : "tanh",
      output: out,
      siluGate,
    });
  }
  return sites;
}

/** Options of {@linkcode measureSaturation}. */
export interface MeasureSaturationOptions {
  /**
   * Fraction of the activation's largest derivative (1/4 for the sigmoid, 1
   * for tanh) below which an output counts as saturated.
   * @default {0.01}
   */
  level?: number;
}

/**
 * The pre-activation `|z|` beyond which the derivative falls below
 * `level · max`: for the sigmoid, `σ(1−σ) = level/4`; for tanh, `1 − tanh² = level`.
 *
 * @throws {RangeError} If `level` is not in (0, 1).
 *
 * @example Usage
 * ```ts
 * import { saturationThreshold } from "./saturation.ts";
 * // 1 - tanh(z)^2 < 0.01 beyond |z| = atanh(sqrt(0.99))
 * const z = saturationThreshold("tanh", 0.01);
 * if (Math.abs(z - Math.atanh(Math.sqrt(0.99))) > 1e-12) throw new Error();
 * ```
 */
export function saturationThreshold(activation: "sigmoid" | "tanh", level: number): number {
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`Cannot compute a saturation threshold: level ${level} is not in (0, 1)`);
  }
  const s = (1 + Math.sqrt(1 - level)) / 2; // σ(1−σ) = level/4, upper root
  return activation === "sigmoid" ? Math.log(s / (1 - s)) : Math.atanh(Math.sqrt(1 - level));
}

/**
 * Measures saturation from the probed outputs of a `Sigmoid`/`Tanh` node: the
 * local derivative (`s(1−s)` or `1 − t²`, float64 from the float32 outputs)
 * is compared with `level` times its maximum.
 */
export function measureSaturation(
  site: SaturationSite,
  y: ProbedTensor,
  options: MeasureSaturationOptions = {},
): SaturationFinding {
  const level = options.level ?? DEFAULT_SATURATION_LEVEL;
  const zThreshold = saturationThreshold(site.activation, level);
  const sigmoid = site.activation === "sigmoid";
  const limit = sigmoid ? level / 4 : level;
  let saturated = 0;
  for (const s of y.data) {
    const derivative = sigmoid ? s * (1 - s) : 1 - s * s;
    if (derivative < limit) saturated++;
  }
  const count = y.data.length;
  const share = count === 0 ? 0 : saturated / count;
  const pct = `${Number((100 * share).toFixed(1))}%`;
  const what = site.siluGate
    ? "this SiLU gate (the sigmoid in x·sigmoid(x))"
    : `this ${site.activation}`;
  const explanation = site.siluGate
    ? `${pct} of the outputs of ${what} are saturated (|z| > ${
      zThreshold.toFixed(2)
    }), where the SiLU is nearly 0 or nearly the identity`
    : `${pct} of the outputs of ${what} are saturated (|z| > ${
      zThreshold.toFixed(2)
    }, derivative below ${level} of its maximum) and pass almost no gradient`;
  return {
    kind: "saturation",
    node: site.node,
    activation: site.activation,
    siluGate: site.siluGate,
    count,
    level,
    zThreshold,
    share,
    values: extent(y.data),
    explanation,
  };
}
