/**
 * The report's figures, each a static SVG made with Observable Plot and a
 * sentence that says what it shows (its text alternative). Numbers in the
 * sentences use {@linkcode formatNumber} so they read the same as the tables.
 *
 * @module
 */
import { Plot, renderPlot } from "./_plot.ts";

/** A rendered figure: the SVG and the words that describe it. */
export interface Figure {
  /** `<svg role="img" aria-label="…">…</svg>`. */
  readonly svg: string;
  /** The text alternative: what the figure shows, with its key numbers. */
  readonly label: string;
}

/** Series colours (Tableau 10), then the symbol drawn for the same series. */
export const SERIES_COLORS = [
  "#4e79a7",
  "#f28e2c",
  "#59a14f",
  "#af7aa1",
  "#76b7b2",
  "#9c755f",
  "#ff9da7",
  "#edc949",
] as const;
/** Plot symbol of each series, in {@linkcode SERIES_COLORS} order. */
export const SERIES_SYMBOLS = [
  "circle",
  "square",
  "triangle",
  "diamond",
  "star",
  "cross",
  "wye",
  "circle",
] as const;
/** The same symbols as text, for legends written in HTML. */
export const SERIES_GLYPHS = ["●", "■", "▲", "◆", "★", "✚", "Y", "●"] as const;

/** An ordinal scale giving the `i`-th series name the `i`-th value (cycling). */
function seriesScale<T extends string>(
  names: readonly string[],
  values: readonly T[],
): { domain: string[]; range: T[] } {
  return { domain: [...names], range: names.map((_, i) => values[i % values.length]!) };
}

/** Colour of failing marks and of the tolerance rules. */
export const FAIL_COLOR = "#b00020";
const FONT = { fontSize: "12px", fontFamily: "system-ui, sans-serif", overflow: "visible" };

/**
 * A number as the report prints it: `1.2e-3` (two significant digits), `n/a`
 * for NaN, `∞` for infinities.
 */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "n/a";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  return v.toExponential(1);
}

/** A threshold as written in the tolerances: `0.05`, `1e-5`. */
export function formatThreshold(v: number): string {
  return v !== 0 && Math.abs(v) < 1e-2 ? v.toExponential().replace(/\.?0+e/, "e") : String(v);
}

/** R² with four decimals (three significant digits below −1), `n/a` for NaN. */
export function formatR2(v: number): string {
  if (Number.isNaN(v)) return "n/a";
  return v >= -1 ? v.toFixed(4) : Number(v.toPrecision(3)).toString();
}

/** The `q`-quantile (linear interpolation) of the finite values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** One series of a {@linkcode scatterFigure}: values on the y axis against the shared x. */
export interface ScatterSeries {
  /** Name in the legend and the text alternative, e.g. `model` or `after refit`. */
  readonly name: string;
  /** y values, length N. */
  readonly y: ArrayLike<number>;
}

/** Input of {@linkcode scatterFigure}. */
export interface ScatterInput {
  /** What is plotted, e.g. `∂f2/∂x4`. */
  readonly title: string;
  /** x values (the truth: reference Jacobian entry or true output), length N. */
  readonly x: ArrayLike<number>;
  /** One or more series against `x` (the first is drawn last, on top). */
  readonly series: readonly ScatterSeries[];
  /** x axis label. */
  readonly xLabel: string;
  /** y axis label. */
  readonly yLabel: string;
  /** 1-based row numbers of the points, for the worst-point labels; length N. */
  readonly rows: readonly number[];
  /** Label the points with the largest `|y − x|` of the first series. @default {3} */
  readonly worst?: number;
  /**
   * Share of each series' y values allowed beyond the axis limits at either
   * end: the limits span the x values and the `[tail, 1 − tail]` quantiles of
   * y; points beyond are drawn at the edge as triangles. @default {0.02}
   */
  readonly tail?: number;
  /**
   * Which series set the limits: `all`, or only the `first` (e.g. the refit
   * model, so a wild starting model does not squash it). @default {"all"}
   */
  readonly limitsFrom?: "all" | "first";
}

/** Points drawn per scatter at most, over all its series (a report stays under 2 MB at any N). */
export const MAX_SCATTER_POINTS = 1000;
/** Points drawn per panel of {@linkcode pointsAgainstFigure} at most, over all series. */
export const MAX_PANEL_POINTS = 2000;

/**
 * Which of `N` points to draw when there are more than `cap`: the `cap / 5`
 * with the largest `priority` (the worst), then every other point at an even
 * stride until `cap`. All of them when `N ≤ cap`.
 */
export function pointsToDraw(N: number, cap: number, priority: (k: number) => number): Uint8Array {
  const keep = new Uint8Array(N);
  if (N <= cap) return keep.fill(1);
  const byPriority = Array.from({ length: N }, (_, k) => k)
    .sort((a, b) => (priority(b) || 0) - (priority(a) || 0) || a - b);
  const worst = Math.floor(cap / 5);
  for (const k of byPriority.slice(0, worst)) keep[k] = 1;
  const rest = byPriority.slice(worst).sort((a, b) => a - b);
  const stride = rest.length / (cap - worst);
  for (let t = 0; t < cap - worst; t++) keep[rest[Math.floor(t * stride)]!] = 1;
  return keep;
}

/** Scatter limits: x and y share them so the diagonal is at 45°. */
export interface ScatterLimits {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Axis limits of a scatter: the range of `x` joined with the `[tail, 1 − tail]`
 * quantiles of every series, padded by 5 % (by 5 % of |value|, at least 1e-6,
 * when that range is a single value).
 */
export function robustLimits(
  x: ArrayLike<number>,
  series: readonly ArrayLike<number>[],
  tail = 0.02,
): ScatterLimits {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < x.length; k++) {
    const v = x[k]!;
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  for (const y of series) {
    const a = quantile(y, tail);
    const b = quantile(y, 1 - tail);
    if (Number.isFinite(a)) lo = Math.min(lo, a);
    if (Number.isFinite(b)) hi = Math.max(hi, b);
  }
  if (!Number.isFinite(lo)) return { lo: -1, hi: 1 };
  const span = hi - lo;
  if (span <= 1e-12 * Math.max(1, Math.abs(hi))) {
    const pad = Math.max(Math.abs(hi) * 0.05, 1e-6);
    return { lo: lo - pad, hi: hi + pad };
  }
  return { lo: lo - 0.05 * span, hi: hi + 0.05 * span };
}

const SCATTER = {
  width: 300,
  height: 290,
  marginTop: 20,
  marginLeft: 58,
  marginBottom: 40,
  marginRight: 16,
} as const;

/** A worst-point label: where it is drawn (data units) and its text. */
interface PlacedLabel {
  readonly x: number;
  readonly y: number;
  readonly text: string;
}

/**
 * Labels for ringed points: points within 4 % of the axes of each other share
 * one label (`rows 146, 49`); a label that would overlap an earlier one is
 * moved 13 px away from the nearer edge until it does not.
 */
function placeLabels(
  points: readonly { x: number; y: number; row: number }[],
  limits: ScatterLimits,
  innerHeight: number,
): PlacedLabel[] {
  const span = limits.hi - limits.lo;
  const u = (v: number) => (v - limits.lo) / span;
  const groups: { x: number; y: number; rows: number[] }[] = [];
  for (const p of points) {
    const g = groups.find((g) =>
      Math.abs(u(g.x) - u(p.x)) < 0.04 && Math.abs(u(g.y) - u(p.y)) < 0.04
    );
    if (g) g.rows.push(p.row);
    else groups.push({ x: p.x, y: p.y, rows: [p.row] });
  }
  // Label boxes in px: right of the point, or left of it in the right part of the frame
  // (as scatterFigure anchors them), about 7 px per character.
  const placed: { left: number; right: number; py: number }[] = [];
  return groups.map((g) => {
    const px = u(g.x) * 226;
    const text = `${g.rows.length === 1 ? "row" : "rows"} ${g.rows.join(", ")}`;
    const width = 7 * text.length;
    const [left, right] = u(g.x) > 0.62 ? [px - 8 - width, px - 8] : [px + 8, px + 8 + width];
    const base = (1 - u(g.y)) * innerHeight;
    const step = base < innerHeight / 2 ? 13 : -13;
    let dy = 0;
    while (
      placed.some((q) =>
        q.left < right + 4 && left < q.right + 4 && Math.abs(q.py - (base + dy)) < 12
      )
    ) dy += step;
    placed.push({ left, right, py: base + dy });
    return {
      x: g.x,
      y: g.y - (dy / innerHeight) * span,
      text,
    };
  });
}

/** Counts of what a {@linkcode scatterFigure} drew. */
export interface ScatterCounts {
  /** Points inside the limits, per series. */
  readonly inside: readonly number[];
  /** Points beyond the limits, drawn at the edge, per series. */
  readonly beyond: readonly number[];
  /** 1-based rows of the labelled worst points. */
  readonly worstRows: readonly number[];
  /** Points drawn per series (all `N` up to {@linkcode MAX_SCATTER_POINTS} over the series). */
  readonly drawn: number;
}

/**
 * A square scatter of one or more series against the truth, with the y = x
 * diagonal, real axes and ticks, robust limits (points beyond drawn as
 * triangles at the edge), and the worst points of the first series ringed and
 * labelled with their row number.
 *
 * Mark groups carry `aria-description`s the tests count: `point` (inside, one group per
 * series), `point beyond the limits`, `worst point`.
 */
export function scatterFigure(input: ScatterInput): Figure & { counts: ScatterCounts } {
  const { x, series, rows } = input;
  const N = x.length;
  const limits = robustLimits(
    x,
    (input.limitsFrom === "first" ? series.slice(0, 1) : series).map((s) => s.y),
    input.tail ?? 0.02,
  );
  const clamp = (v: number) => Math.min(limits.hi, Math.max(limits.lo, v));
  const keep = pointsToDraw(
    N,
    Math.floor(MAX_SCATTER_POINTS / Math.max(1, series.length)),
    (k) => Math.max(...series.map((s) => Math.abs(s.y[k]! - x[k]!))),
  );
  const drawn = keep.reduce((a, b) => a + b, 0);
  const marks: Plot.Markish[] = [
    Plot.frame({ stroke: "#ccc" }),
    Plot.line([[limits.lo, limits.lo], [limits.hi, limits.hi]], {
      stroke: "#888",
      strokeDasharray: "4,3",
      ariaDescription: "diagonal y = x",
    }),
  ];
  const inside: number[] = [];
  const beyond: number[] = [];
  // Draw the later series first so the first one is on top.
  for (let s = series.length - 1; s >= 0; s--) {
    const y = series[s]!.y;
    const inPts: [number, number][] = [];
    const outPts: [number, number][] = [];
    for (let k = 0; k < N; k++) {
      const xv = x[k]!;
      const yv = y[k]!;
      if (!keep[k] || !Number.isFinite(xv) || Number.isNaN(yv)) continue;
      if (yv < limits.lo || yv > limits.hi) outPts.push([xv, clamp(yv)]);
      else inPts.push([xv, yv]);
    }
    inside[s] = inPts.length;
    beyond[s] = outPts.length;
    const color = SERIES_COLORS[s % SERIES_COLORS.length]!;
    marks.push(
      Plot.dot(inPts, {
        x: "0",
        y: "1",
        r: 2.5,
        fill: color,
        fillOpacity: 0.6,
        symbol: SERIES_SYMBOLS[s % SERIES_SYMBOLS.length]!,
        ariaDescription: "point",
      }),
    );
    if (outPts.length > 0) {
      marks.push(
        Plot.dot(outPts, {
          x: "0",
          y: "1",
          r: 4,
          symbol: "triangle",
          fill: color,
          stroke: FAIL_COLOR,
          strokeWidth: 1,
          fillOpacity: 0.9,
          rotate: (d: [number, number]) => (d[1] >= limits.hi ? 0 : 180),
          ariaDescription: "point beyond the limits",
        }),
      );
    }
  }
  const first = series[0]?.y;
  const worstRows: number[] = [];
  if (first && (input.worst ?? 3) > 0) {
    const order = Array.from({ length: N }, (_, k) => k)
      .filter((k) => Number.isFinite(x[k]!) && !Number.isNaN(first[k]!))
      .sort((a, b) => Math.abs(first[b]! - x[b]!) - Math.abs(first[a]! - x[a]!) || a - b)
      .slice(0, input.worst ?? 3);
    const pts = order.map((k) => ({ x: x[k]!, y: clamp(first[k]!), row: rows[k] ?? k + 1 }));
    worstRows.push(...pts.map((p) => p.row));
    marks.push(
      Plot.dot(pts, { x: "x", y: "y", r: 6, stroke: "#111", ariaDescription: "worst point" }),
    );
    const labels = placeLabels(
      pts,
      limits,
      SCATTER.height - SCATTER.marginTop - SCATTER.marginBottom,
    );
    const right = (l: PlacedLabel) => (l.x - limits.lo) / (limits.hi - limits.lo) > 0.62;
    for (const [side, anchor, dx] of [[false, "start", 8], [true, "end", -8]] as const) {
      marks.push(Plot.text(labels.filter((l) => right(l) === side), {
        x: "x",
        y: "y",
        text: "text",
        dx,
        textAnchor: anchor,
        fill: "#111",
        stroke: "white",
        strokeWidth: 3,
        paintOrder: "stroke",
        ariaDescription: "worst point label",
      }));
    }
  }
  const domain = [limits.lo, limits.hi];
  const total = beyond.reduce((a, b) => a + b, 0);
  const label =
    `Scatter of ${input.title}: ${input.yLabel} against ${input.xLabel} at ${N} points` +
    (drawn < N ? ` (${drawn} drawn: the worst and an even sample of the rest)` : "") +
    (series.length > 1 ? ` (${series.map((s) => s.name).join(", ")})` : "") +
    `; a perfect match lies on the dashed diagonal. Axes span ${formatNumber(limits.lo)} to ${
      formatNumber(limits.hi)
    }` +
    (total > 0 ? `; ${total} points beyond that are drawn as triangles at the edge` : "") +
    (worstRows.length > 0 ? `; the worst points are rows ${worstRows.join(", ")}.` : ".");
  const svg = renderPlot({
    ...SCATTER,
    style: FONT,
    x: { domain, label: input.xLabel, labelAnchor: "center", labelArrow: "none", ticks: 4 },
    y: { domain, label: input.yLabel, labelAnchor: "center", labelArrow: "none", ticks: 5 },
    marks,
  }, label);
  return { svg, label, counts: { inside, beyond, worstRows, drawn } };
}

/** One cell of a {@linkcode heatmapFigure}. */
export interface HeatmapCell {
  /** Output name (row). */
  readonly output: string;
  /** Input name (column). */
  readonly input: string;
  /** The error shown (colour and annotation). */
  readonly value: number;
}

/** The heatmaps' colour scale (log), errors clamped to it. */
export const HEATMAP_DOMAIN = [1e-7, 10] as const;

/** Input of {@linkcode heatmapFigure}. */
export interface HeatmapInput {
  /** What is compared, e.g. `model vs reference`. */
  readonly title: string;
  /** Output names, top to bottom. */
  readonly outputs: readonly string[];
  /** Input names, left to right. */
  readonly inputs: readonly string[];
  /** One cell per entry. */
  readonly cells: readonly HeatmapCell[];
  /** What the value is, e.g. `row-normalized error`. */
  readonly measure: string;
  /** Pass threshold of the value (cells above it are annotated "fail"), if the comparison has one. */
  readonly threshold?: number;
}

/**
 * A heatmap of the `m × n` Jacobian entries, coloured by the error on a fixed
 * log scale ({@linkcode HEATMAP_DOMAIN}) and annotated with its value (and "ok"/"fail" when a threshold is
 * given). Cells carry `aria-description="cell"`.
 */
export function heatmapFigure(input: HeatmapInput): Figure {
  const { outputs, inputs, cells, threshold } = input;
  // One colour scale for every heatmap, so colours compare across comparisons and reports:
  // float32 noise (1e-7) is pale, errors of the size of the row's derivatives (≥ 1) are dark.
  const lo = HEATMAP_DOMAIN[0];
  const hi = HEATMAP_DOMAIN[1];
  const shade = (v: number) => Math.min(hi, Math.max(lo, Number.isFinite(v) && v > 0 ? v : lo));
  const dark = (v: number) =>
    (Math.log(shade(v)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) > 0.55;
  const data = cells.map((c) => ({
    ...c,
    shaded: shade(c.value),
    text: formatNumber(c.value) +
      (threshold === undefined ? "" : c.value <= threshold ? "\nok" : "\nfail"),
  }));
  const textMark = (filter: (d: { value: number }) => boolean, fill: string) =>
    Plot.text(data.filter(filter), {
      x: "input",
      y: "output",
      text: "text",
      fill,
      fontSize: 12,
      lineHeight: 1.2,
      ariaDescription: "cell value",
    });
  const worst = cells.reduce(
    (a, b) => (b.value > a.value || Number.isNaN(b.value) ? b : a),
    cells[0]!,
  );
  const failing = threshold === undefined
    ? undefined
    : cells.filter((c) => !(c.value <= threshold)).length;
  const label =
    `Heatmap of the ${outputs.length} by ${inputs.length} Jacobian entries, ${input.title}: ` +
    `${input.measure} per entry, rows ${outputs.join(", ")}, columns ${inputs.join(", ")}; ` +
    `largest ${formatNumber(worst.value)} at d${worst.output}/d${worst.input}` +
    (failing === undefined
      ? "."
      : `; ${failing} of ${cells.length} entries above the threshold ${
        formatThreshold(threshold!)
      }.`);
  const svg = renderPlot({
    width: 60 + 74 * inputs.length,
    height: 40 + 50 * outputs.length,
    marginLeft: 44,
    marginTop: 30,
    marginBottom: 8,
    style: FONT,
    padding: 0.04,
    x: { domain: [...inputs], axis: "top", label: null, tickSize: 0 },
    y: { domain: [...outputs], label: null, tickSize: 0 },
    color: { type: "log", scheme: "ylorrd", domain: [lo, hi] },
    marks: [
      Plot.cell(data, { x: "input", y: "output", fill: "shaded", ariaDescription: "cell" }),
      textMark((d) => !dark(d.value), "black"),
      textMark((d) => dark(d.value), "white"),
    ],
  }, label);
  return { svg, label };
}

/**
 * One series of a {@linkcode pointsAgainstFigure} (non-positive values are
 * drawn at the floor of its log axis).
 */
export type PointsSeries = ScatterSeries;

/** Input of {@linkcode pointsAgainstFigure}. */
export interface PointsAgainstInput {
  readonly title: string;
  readonly x: ArrayLike<number>;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly PointsSeries[];
  /** A horizontal rule, e.g. the tolerance. */
  readonly rule?: { readonly y: number; readonly label: string };
  /** Log x axis. @default {false} */
  readonly logX?: boolean;
}

/**
 * Points of several series against one variable on a log y axis (colour and
 * symbol per series), with an optional horizontal rule. Used for the error
 * against each input and against the LayerNorm gain. Marks: `aria-description="point"`.
 */
export function pointsAgainstFigure(input: PointsAgainstInput): Figure {
  const data: { x: number; y: number; series: string }[] = [];
  let floor = Infinity;
  let top = 0;
  for (const s of input.series) {
    for (let k = 0; k < input.x.length; k++) {
      const v = s.y[k]!;
      if (v > 0 && Number.isFinite(v)) {
        floor = Math.min(floor, v);
        top = Math.max(top, v);
      }
    }
  }
  if (!Number.isFinite(floor)) floor = 1e-8;
  if (input.rule) {
    floor = Math.min(floor, input.rule.y / 2);
    top = Math.max(top, input.rule.y * 2);
  }
  if (top <= floor) top = floor * 10;
  const N = input.x.length;
  const keep = pointsToDraw(
    N,
    Math.floor(MAX_PANEL_POINTS / Math.max(1, input.series.length)),
    (k) => Math.max(...input.series.map((s) => s.y[k]!)),
  );
  const drawn = keep.reduce((a, b) => a + b, 0);
  for (const s of input.series) {
    for (let k = 0; k < N; k++) {
      const xv = input.x[k]!;
      const v = s.y[k]!;
      if (!keep[k] || !Number.isFinite(xv) || Number.isNaN(v)) continue;
      data.push({ x: xv, y: v > 0 ? Math.min(v, top) : floor, series: s.name });
    }
  }
  const names = input.series.map((s) => s.name);
  const label =
    `${input.title}: ${input.yLabel} (log scale) against ${input.xLabel} at ${N} points${
      drawn < N ? ` (${drawn} drawn: the worst and an even sample of the rest)` : ""
    } for ${names.join(", ")}` +
    (input.rule ? `; the dashed line is ${input.rule.label}.` : ".");
  const marks: Plot.Markish[] = [
    Plot.frame({ stroke: "#ccc" }),
    Plot.dot(data, {
      x: "x",
      y: "y",
      r: 2.2,
      fill: "series",
      symbol: "series",
      fillOpacity: 0.55,
      ariaDescription: "point",
    }),
  ];
  if (input.rule) {
    marks.push(
      Plot.ruleY([input.rule.y], {
        stroke: FAIL_COLOR,
        strokeDasharray: "5,3",
        ariaDescription: "threshold",
      }),
    );
  }
  const svg = renderPlot({
    width: 300,
    height: 250,
    marginLeft: 58,
    marginBottom: 40,
    marginRight: 16,
    style: FONT,
    x: {
      label: input.xLabel,
      labelAnchor: "center",
      labelArrow: "none",
      ticks: 4,
      ...(input.logX ? { type: "log" as const } : {}),
    },
    y: {
      type: "log",
      domain: [floor, top],
      label: input.yLabel,
      labelAnchor: "center",
      labelArrow: "none",
      ticks: 4,
      tickFormat: "~e",
    },
    color: seriesScale(names, SERIES_COLORS),
    symbol: seriesScale(names, SERIES_SYMBOLS),
    marks,
  }, label);
  return { svg, label };
}

/** One line of a {@linkcode linesFigure}. */
export interface LineSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  /** Dashed guide (e.g. a slope reference) rather than data. @default {false} */
  readonly guide?: boolean;
}

/** Input of {@linkcode linesFigure}. */
export interface LinesInput {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  readonly logX?: boolean;
  readonly logY?: boolean;
  /** A vertical rule, e.g. the best epoch or the default step. */
  readonly ruleX?: { readonly x: number; readonly label: string };
  /** Words appended to the text alternative (e.g. the minimum and where). */
  readonly summary?: string;
  /** @default {440} */
  readonly width?: number;
}

/**
 * Lines with dots (data) and dashed guides on linear or log axes, coloured per
 * series. Used for the finite-difference step sweep and the refit's loss curves.
 * Data dots carry `aria-description="point"`, lines `aria-description="line"`.
 */
export function linesFigure(input: LinesInput): Figure {
  const names = input.series.map((s) => s.name);
  const rows = input.series.flatMap((s) =>
    s.points.filter((p) =>
      Number.isFinite(p.x) && Number.isFinite(p.y) && (!input.logY || p.y > 0) &&
      (!input.logX || p.x > 0)
    ).map((p) => ({ ...p, series: s.name, guide: s.guide === true }))
  );
  const data = rows.filter((r) => !r.guide);
  const guides = rows.filter((r) => r.guide);
  const marks: Plot.Markish[] = [
    Plot.frame({ stroke: "#ccc" }),
    Plot.line(guides, {
      x: "x",
      y: "y",
      z: "series",
      stroke: "series",
      strokeDasharray: "5,4",
      strokeOpacity: 0.8,
      ariaDescription: "guide",
    }),
    Plot.line(data, { x: "x", y: "y", z: "series", stroke: "series", ariaDescription: "line" }),
  ];
  if (data.length <= 60) {
    marks.push(
      Plot.dot(data, { x: "x", y: "y", fill: "series", r: 3, ariaDescription: "point" }),
    );
  }
  if (input.ruleX) {
    marks.push(
      Plot.ruleX([input.ruleX.x], {
        stroke: "#555",
        strokeDasharray: "2,3",
        ariaDescription: "marker",
      }),
    );
  }
  const label = `${input.title}: ${input.yLabel} against ${input.xLabel}` +
    (input.logX || input.logY
      ? ` (${
        [input.logX ? "x" : "", input.logY ? "y" : ""].filter(Boolean).join(" and ")
      } log scale)`
      : "") +
    `, lines for ${names.join(", ")}` +
    (input.ruleX ? `; the dotted line marks ${input.ruleX.label}` : "") +
    (input.summary ? `. ${input.summary}` : ".");
  const svg = renderPlot({
    width: input.width ?? 440,
    height: 300,
    marginLeft: 62,
    marginBottom: 40,
    marginRight: 16,
    style: FONT,
    x: {
      label: input.xLabel,
      labelAnchor: "center",
      labelArrow: "none",
      ...(input.logX ? { type: "log" as const, tickFormat: "~e" } : {}),
    },
    y: {
      label: input.yLabel,
      labelAnchor: "center",
      labelArrow: "none",
      ...(input.logY ? { type: "log" as const, tickFormat: "~e" } : {}),
    },
    color: seriesScale(names, SERIES_COLORS),
    marks,
  }, label);
  return { svg, label };
}

/** Input of {@linkcode histogramFigure}. */
export interface HistogramInput {
  readonly title: string;
  readonly values: ArrayLike<number>;
  readonly xLabel: string;
  /** Bins evenly spaced in log10 of the value. @default {false} */
  readonly log?: boolean;
  /** @default {16} */
  readonly bins?: number;
}

/**
 * A small histogram (rectangles `aria-description="bar"`), bins evenly spaced in the
 * value or in its logarithm.
 */
export function histogramFigure(input: HistogramInput): Figure {
  const values = Array.from(input.values).filter((v) =>
    Number.isFinite(v) && (!input.log || v > 0)
  );
  const bins = input.bins ?? 16;
  const t = (v: number) => (input.log ? Math.log10(v) : v);
  const inv = (v: number) => (input.log ? 10 ** v : v);
  let lo = Math.min(...values.map(t));
  let hi = Math.max(...values.map(t));
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((t(v) - lo) / width))]!++;
  const data = counts.map((count, b) => ({
    x1: inv(lo + b * width),
    x2: inv(lo + (b + 1) * width),
    count,
  }));
  const peak = data.reduce((a, b) => (b.count > a.count ? b : a), data[0]!);
  const label = `${input.title}: histogram of ${values.length} values of ${input.xLabel}${
    input.log ? " (log scale)" : ""
  } from ${formatNumber(inv(lo))} to ${formatNumber(inv(hi))}; the most common bin is ${
    formatNumber(peak.x1)
  } to ${formatNumber(peak.x2)} with ${peak.count} values.`;
  const svg = renderPlot({
    width: 320,
    height: 200,
    marginLeft: 44,
    marginBottom: 40,
    style: FONT,
    x: {
      label: input.xLabel,
      labelAnchor: "center",
      labelArrow: "none",
      ...(input.log ? { type: "log" as const } : {}),
    },
    y: { label: "rows", labelArrow: "none", grid: true, ticks: 4 },
    marks: [
      Plot.rectY(data, {
        x1: "x1",
        x2: "x2",
        y: "count",
        fill: SERIES_COLORS[0],
        inset: 0.5,
        ariaDescription: "bar",
      }),
      Plot.ruleY([0]),
    ],
  }, label);
  return { svg, label };
}
