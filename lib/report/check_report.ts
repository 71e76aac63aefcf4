/**
 * `report.html` of `check` and of each `verify` model: the status block first,
 * then heatmaps of where the Jacobian is off, a scatter per entry, the error
 * against each input, predicted vs true values, PyTorch parity and the
 * finite-difference step sweep (when PyTorch's values are known), graph
 * diagnostics, and the full tables.
 *
 * @module
 */
import type { CheckResult } from "../check/check.ts";
import type { OracleParity } from "../check/oracle.ts";
import type { JacobianComparison } from "../compare/jacobians.ts";
import type { LayerNormFinding } from "../diagnose/types.ts";
import type { StepSweepRow } from "../jacobian/finite_differences.ts";
import {
  type Figure,
  formatNumber,
  formatR2,
  formatThreshold,
  heatmapFigure,
  histogramFigure,
  linesFigure,
  pointsAgainstFigure,
  scatterFigure,
  SERIES_COLORS,
  SERIES_GLYPHS,
} from "./figures.ts";
import {
  type Cell,
  escapeHtml,
  renderFigure,
  renderGrid,
  renderLegend,
  renderPage,
  renderStatus,
  renderTable,
} from "./html.ts";
import { checkStatus, type Status } from "./status.ts";

/** Options of {@linkcode renderCheckReport}. */
export interface CheckReportOptions {
  /** The toolkit's engines against PyTorch's saved values. @default {undefined} */
  parity?: OracleParity;
  /** The finite differences' error against PyTorch per step. @default {undefined} */
  sweep?: readonly StepSweepRow[];
  /**
   * The user's own Jacobian compared with the model's.
   * @default {the check's `audits.userJacobian.comparison` (`check --jacobian`)}
   */
  userJacobian?: JacobianComparison;
  /** The status block, if already computed (else {@linkcode checkStatus}). @default {undefined} */
  status?: Status;
  /** Title. @default {"Jacobian check of <model>"} */
  title?: string;
}

/**
 * 1-based row numbers, in the inputs file, of the check's points (rows where
 * the reference was undefined are skipped by the check, so point `p` is not
 * always row `p + 1`).
 */
export function inputRows(r: Pick<CheckResult, "points" | "droppedRows">): number[] {
  const dropped = new Set(r.droppedRows);
  const rows: number[] = [];
  for (let k = 0; rows.length < r.points; k++) if (!dropped.has(k)) rows.push(k + 1);
  return rows;
}

/** Renders the check report as one self-contained HTML page. */
export function renderCheckReport(r: CheckResult, options: CheckReportOptions = {}): string {
  const status = options.status ?? checkStatus(r, options.parity ? { parity: options.parity } : {});
  const rows = inputRows(r);
  const fitTol = r.verdict.tolerances.fitTol;
  const n = r.inputs.length;
  const m = r.outputs.length;
  const sections: string[] = [renderStatus(status)];
  const nav: [string, string][] = [["heatmaps", "Where"], ["entries", "Per entry"], [
    "domain",
    "Error vs inputs",
  ], ["values", "Values"]];

  // Heatmaps, one per comparison.
  const heatmaps: string[] = [
    comparisonHeatmap("model vs reference", r.comparisons.fit, fitTol),
  ];
  if (r.corrected) {
    heatmaps.push(
      comparisonHeatmap(
        "model vs reference with the corrected scaling constants",
        r.corrected.fit,
        fitTol,
      ),
    );
  }
  const userJacobian = options.userJacobian ?? r.audits.userJacobian?.comparison;
  if (userJacobian) {
    heatmaps.push(comparisonHeatmap("your Jacobian vs the model's", userJacobian));
  }
  heatmaps.push(comparisonHeatmap("autodiff vs finite differences", r.comparisons.differentiation));
  if (r.comparisons.graphDifferentiation) {
    heatmaps.push(
      comparisonHeatmap(
        "derivative graph vs finite differences",
        r.comparisons.graphDifferentiation,
      ),
    );
  }
  sections.push(
    section(
      "heatmaps",
      "Where the Jacobian is off",
      `<p>Each cell is one entry ∂f/∂x; its colour and number are the entry's largest error over the ${r.points} points divided by the largest |∂f/∂x| of the output's row (row-normalized: a constant entry does not make it explode). The model-vs-reference cells say "fail" above ${
        formatThreshold(fitTol)
      }.</p>` + renderGrid(heatmaps),
    ),
  );

  // Per-entry scatters.
  const fit = r.comparisons.fit;
  const scatters = fit.entries.map((entry, e) => {
    const model = column(r.jacobians.model.values, e, m * n, r.points);
    const ref = column(r.jacobians.reference.values, e, m * n, r.points);
    const fig = scatterFigure({
      title: `∂${entry.output}/∂${entry.input}`,
      x: ref,
      series: [{ name: "model", y: model }],
      xLabel: `reference ∂${entry.output}/∂${entry.input}`,
      yLabel: "model",
      rows,
    });
    const beyond = fig.counts.beyond.reduce((a, b) => a + b, 0);
    const verdict = entry.rowNormalizedError <= fitTol ? "ok" : "fail";
    const r2 = Number.isNaN(entry.r2)
      ? "R² n/a (the reference is constant)"
      : `R² ${formatR2(entry.r2)}`;
    const caption = `<strong>∂${escapeHtml(entry.output)}/∂${escapeHtml(entry.input)}</strong>: ` +
      `row-normalized error ${formatNumber(entry.rowNormalizedError)} <span class="${
        verdict === "ok" ? "ok" : "bad"
      }">(${verdict}, threshold ${formatThreshold(fitTol)})</span>, ${r2}` +
      (beyond > 0
        ? `; ${beyond} point${
          beyond === 1 ? "" : "s"
        } beyond the axes, drawn as triangles at the edge`
        : "") +
      (fig.counts.drawn < r.points
        ? `; ${fig.counts.drawn} of the ${r.points} points drawn (the worst and an even sample)`
        : "") +
      `; worst rows ${fig.counts.worstRows.join(", ")}.`;
    return renderFigure(fig, "", { captionHtml: caption });
  });
  sections.push(
    section(
      "entries",
      "Model vs reference, per Jacobian entry",
      `<p>One panel per entry, outputs in rows and inputs in columns; x is the reference derivative, y the model's (physical units), one dot per point. A perfect model lies on the dashed diagonal. Axis limits cover the reference and the central 96 % of the model's values; points beyond are drawn as triangles outlined in red at the edge. The three worst points are ringed and labelled with their row in the inputs file.</p>` +
        renderGrid(scatters, n),
    ),
  );

  // Error against each input (and the LayerNorm gain).
  const perPoint = rowErrors(r);
  const seriesNames = r.outputs.map((o) => `∂${o}/∂x`);
  const domainFigures = r.inputs.map((input, j) => {
    const fig = pointsAgainstFigure({
      title: `Jacobian error against ${input}`,
      x: column(r.x, j, n, r.points),
      xLabel: input,
      yLabel: "row-normalized error",
      series: r.outputs.map((_, i) => ({ name: seriesNames[i]!, y: perPoint[i]! })),
      rule: {
        y: fitTol,
        label: `the threshold ${formatThreshold(fitTol)}`,
      },
    });
    return renderFigure(fig, `Error of each output's row against ${input}.`);
  });
  const ln = firstLayerNorm(r);
  if (ln) {
    const fig = pointsAgainstFigure({
      title: "Jacobian error against the input LayerNorm's gain 1/σ",
      x: ln.gainPerRow!,
      xLabel: "LayerNorm gain 1/σ",
      yLabel: "row-normalized error",
      series: r.outputs.map((_, i) => ({ name: seriesNames[i]!, y: perPoint[i]! })),
      rule: {
        y: fitTol,
        label: `the threshold ${formatThreshold(fitTol)}`,
      },
      logX: true,
    });
    domainFigures.push(
      renderFigure(fig, "Error against the gain of the first layer's normalization (log scale)."),
    );
  }
  sections.push(
    section(
      "domain",
      "Where in the domain the derivatives go wrong",
      `<p>For every point and output, the largest error of that output's Jacobian row divided by the row's largest |∂f/∂x| (log scale), against each input${
        ln ? " and against the input LayerNorm's gain 1/σ" : ""
      }. Errors that rise at the edges of an input, or with the gain, show where the fit's derivatives break down; the dashed line is the threshold.</p>` +
        renderLegend(seriesNames, SERIES_COLORS, SERIES_GLYPHS) +
        renderGrid(domainFigures),
    ),
  );

  // Predicted vs true values.
  const valueFigures = r.outputs.map((output, i) => {
    const o = r.values.outputs[i]!;
    const fig = scatterFigure({
      title: `${output} values`,
      x: column(r.trueValues, i, m, r.points),
      series: [{ name: "predicted", y: column(r.predicted, i, m, r.points) }],
      xLabel: `true ${output}`,
      yLabel: "predicted",
      rows,
    });
    return renderFigure(
      fig,
      `${output}: R² ${formatR2(o.r2)}, largest error ${
        formatNumber(o.rangeNormalizedError)
      } of the range; worst rows ${fig.counts.worstRows.join(", ")}.`,
    );
  });
  sections.push(
    section(
      "values",
      "Values: predicted vs true",
      `<p>The model's outputs (onnxruntime, physical units) against the reference's at the same points. A good value fit does not imply good derivatives: compare with the panels above.</p>` +
        renderGrid(valueFigures, Math.min(m, 4)),
    ),
  );

  if (options.parity || options.sweep) {
    nav.push(["pytorch", "PyTorch"]);
    sections.push(
      section("pytorch", "PyTorch parity and the finite-difference step", pytorchParts(options)),
    );
  }
  if (r.diagnostics) {
    nav.push(["graph", "Graph"]);
    sections.push(section("graph", "Graph diagnostics", diagnosticsPart(r)));
  }
  nav.push(["tables", "Tables"]);
  sections.push(
    section(
      "tables",
      "Tables",
      `<p>${escapeHtml(r.verdict.diagnosis)}</p>` +
        `<h3>How the verdict was decided</h3><ul>${
          r.verdict.evidence.map((e) => `<li>${escapeHtml(e)}</li>`).join("")
        }</ul>` +
        comparisonTable(
          `Model vs analytic reference (${
            r.method.used === "graph" ? "derivative graph" : "autodiff"
          }, physical units)`,
          r.comparisons.fit,
          fitTol,
        ) +
        comparisonTable(
          "Chain rule vs autodiff through the composition",
          r.comparisons.scaling,
        ) +
        comparisonTable(
          "Autodiff (float32) vs float64 finite differences",
          r.comparisons.differentiation,
        ) +
        (r.comparisons.graphDifferentiation
          ? comparisonTable(
            "Derivative graph (float32) vs float64 finite differences",
            r.comparisons.graphDifferentiation,
          )
          : "") +
        (userJacobian ? comparisonTable("Your Jacobian vs the model's", userJacobian) : "") +
        valueTable(r),
    ),
  );
  const dropped = r.droppedRows.length > 0
    ? `; ${r.droppedRows.length} rows skipped where the reference is undefined`
    : "";
  return renderPage({
    title: options.title ?? `Jacobian check of ${r.model}`,
    subtitle: `${r.points} points, ${r.inputs.length} inputs (${
      r.inputs.join(", ")
    }), ${m} outputs (${
      r.outputs.join(", ")
    })${dropped}. Derivatives in physical units; the model's by ${
      r.method.used === "graph"
        ? "its float32 derivative graph in onnxruntime"
        : `float32 autodiff through the tfjs rebuild${
          r.method.graphUnsupported ? ` (no derivative graph: ${r.method.graphUnsupported})` : ""
        }`
    }, the reference ${r.referenceExact ? "exact (symbolic, float64)" : "numerical"}.`,
    nav,
    body: sections.join("\n"),
  });
}

/** A `<section>` with an `id` and a heading that labels it. */
export function section(id: string, heading: string, html: string): string {
  return `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${
    escapeHtml(heading)
  }</h2>${html}</section>`;
}

/**
 * A heatmap figure of a comparison's row-normalized errors with its caption
 * (worst row), "fail" marked above `threshold` when given.
 */
export function comparisonHeatmap(
  title: string,
  cmp: JacobianComparison,
  threshold?: number,
): string {
  const fig = heatmapFigure({
    title,
    outputs: cmp.outputs,
    inputs: cmp.inputs,
    cells: cmp.entries.map((e) => ({
      output: e.output,
      input: e.input,
      value: e.rowNormalizedError,
    })),
    measure: "row-normalized error",
    ...(threshold !== undefined ? { threshold } : {}),
  });
  const worst = cmp.worstRowNormalized;
  return renderFigure(
    fig,
    `${title[0]!.toUpperCase()}${title.slice(1)}: worst row ${worst.output}, ${
      formatNumber(worst.value)
    }.`,
  );
}

/** Entry `e` (of `width` per point) over the points. */
export function column(
  values: ArrayLike<number>,
  e: number,
  width: number,
  points: number,
): Float64Array {
  const out = new Float64Array(points);
  for (let k = 0; k < points; k++) out[k] = values[k * width + e]!;
  return out;
}

/** Per output `i` and point `k`: `max_j |J − J_ref| / rowScale_i`. */
function rowErrors(r: CheckResult): Float64Array[] {
  const n = r.inputs.length;
  const m = r.outputs.length;
  const a = r.jacobians.model.values;
  const b = r.jacobians.reference.values;
  return r.comparisons.fit.perOutput.map((o, i) => {
    const out = new Float64Array(r.points);
    for (let k = 0; k < r.points; k++) {
      let worst = 0;
      for (let j = 0; j < n; j++) {
        const at = (k * m + i) * n + j;
        worst = Math.max(worst, Math.abs(a[at]! - b[at]!));
      }
      out[k] = worst / o.rowScale;
    }
    return out;
  });
}

function firstLayerNorm(r: CheckResult): LayerNormFinding | undefined {
  return r.diagnostics?.layerNorms.find((f) =>
    f.firstLayer && f.gainPerRow !== undefined && f.gainPerRow.length === r.points
  );
}

function pytorchParts(options: CheckReportOptions): string {
  const parts: string[] = [];
  const p = options.parity;
  if (p) {
    const row = (what: string, m: OracleParity["forwardOrt"]): Cell[] => [
      what,
      formatNumber(m.value),
      formatThreshold(m.tolerance),
      m.where,
      { text: m.pass ? "✓ pass" : "✗ fail", className: m.pass ? "ok" : "bad" },
    ];
    parts.push(
      `<p>The toolkit's engines against PyTorch's own values saved with the model, at its ${p.points} points: the largest error as a fraction of each output's (forward) or entry's (Jacobian) range.</p>`,
      renderTable({
        caption: "PyTorch parity",
        head: ["comparison", "error", "threshold", "worst", "result"],
        numeric: [1, 2],
        rows: [
          row("forward, onnxruntime float32 vs PyTorch", p.forwardOrt),
          row("forward, tfjs rebuild float32 vs PyTorch", p.forwardTf),
          row("Jacobian, tfjs autodiff vs PyTorch float64", p.autodiff),
          row("Jacobian, float64 finite differences vs PyTorch", p.finiteDifferences),
          ...(p.graph
            ? [row("Jacobian, float32 derivative graph vs PyTorch float64", p.graph)]
            : []),
          ...(p.graph64
            ? [row("Jacobian, float64 derivative graph vs PyTorch float64", p.graph64)]
            : []),
        ],
      }),
    );
  }
  const s = options.sweep;
  if (s && s.length > 0) {
    const fig = sweepFigure(s);
    parts.push(
      `<p>The central differences' own error against PyTorch's float64 autograd as the step h (a fraction of each input's range) shrinks: truncation error falls as h² at large steps, round-off grows as ε/h at small ones, and the floor is near the default step ε^(1/3) ≈ 6e-6.</p>`,
      renderLegend(
        ["measured", "∝ h² (truncation)", "∝ 1/h (round-off)"],
        SERIES_COLORS,
        ["●—", "╌╌", "╌╌"],
      ),
      renderFigure(fig, fig.label, { wide: true }),
      renderTable({
        caption: "Finite-difference step sweep",
        head: ["step h / range", "max |D(h) − J_torch|", "relative to max |J_torch|"],
        numeric: [0, 1, 2],
        rowHeaders: false,
        rows: s.map((row) => [
          row.step.toExponential(0),
          formatNumber(row.maxAbsError),
          formatNumber(row.maxRelativeError),
        ]),
      }),
    );
  }
  return parts.join("\n");
}

/** The step sweep on log–log axes with h² and 1/h guides through its end points. */
export function sweepFigure(sweep: readonly StepSweepRow[]): Figure {
  const pts = sweep.map((s) => ({ x: s.step, y: s.maxRelativeError }))
    .filter((p) => p.y > 0).sort((a, b) => a.x - b.x);
  const series: { name: string; points: { x: number; y: number }[]; guide?: boolean }[] = [
    { name: "measured", points: pts },
  ];
  const best = pts.reduce((a, b) => (b.y < a.y ? b : a), pts[0] ?? { x: NaN, y: NaN });
  if (pts.length >= 2) {
    // Guides drawn down to a third of the floor: h² through the smallest step whose error
    // is 10× the floor (truncation-dominated, before the curve saturates), 1/h through the
    // smallest step.
    const big = pts.find((p) => p.x > best.x && p.y > 10 * best.y) ?? pts[pts.length - 1]!;
    const small = pts[0]!;
    const low = best.y / 3;
    const xs = pts.map((p) => p.x);
    const truncation = xs.map((x) => ({ x, y: big.y * (x / big.x) ** 2 })).filter((p) =>
      p.y >= low
    );
    const roundOff = xs.map((x) => ({ x, y: small.y * (small.x / x) })).filter((p) => p.y >= low);
    series.push(
      { name: "∝ h² (truncation)", points: truncation, guide: true },
      { name: "∝ 1/h (round-off)", points: roundOff, guide: true },
    );
  }
  return linesFigure({
    title: "Finite-difference step sweep",
    xLabel: "step h / input range",
    yLabel: "error / max |J_torch|",
    series,
    logX: true,
    logY: true,
    ruleX: { x: 6e-6, label: "the default step 6e-6" },
    summary: `Smallest error ${formatNumber(best.y)} at step ${formatNumber(best.x)}`,
  });
}

function diagnosticsPart(r: CheckResult): string {
  const d = r.diagnostics!;
  const node = (name: string): Cell => ({
    text: name,
    html: `<code>${escapeHtml(name).replaceAll("/", "/<wbr>")}</code>`,
  });
  const rows: Cell[][] = [
    ...d.layerNorms.map((f) => [
      "layer norm",
      node(f.node),
      `k = ${f.k}, rank ${
        f.rank.min === f.rank.max ? f.rank.min : `${f.rank.min}–${f.rank.max}`
      } of ${f.k}, σ min ${f.sigma.min.toPrecision(3)} (median ${
        f.sigma.median.toPrecision(3)
      }), gain 1/σ max ${f.gain.max.toPrecision(3)} (median ${f.gain.median.toPrecision(3)})${
        f.firstLayer ? ", first layer" : ""
      }`,
      f.explanation,
    ]),
    ...d.bases.map((f) => [
      f.kind === "rbf" ? "RBF basis" : "B-spline basis",
      node(f.node),
      f.kind === "rbf"
        ? `grid [${f.grid.min}, ${f.grid.max}] (${f.grid.count}), ${
          pct(f.outsideShare)
        } outside, coverage ${pct(f.coverage)}`
        : `central grid [${f.central.min.toPrecision(3)}, ${f.central.max.toPrecision(3)}], ${
          pct(f.outsideCentralShare)
        } outside it, ${pct(f.outsideKnotShare)} outside the knots, coverage ${pct(f.coverage)}`,
      f.explanation,
    ]),
    ...d.saturations.map((f) => [
      `${f.activation}${f.siluGate ? " (SiLU gate)" : ""} saturation`,
      node(f.node),
      `${pct(f.share)} of ${f.count} outputs saturated (|z| > ${f.zThreshold.toPrecision(3)})`,
      f.explanation,
    ]),
  ];
  const parts = [
    `<p>Facts measured on the ONNX graph at the ${d.points} points (${d.dtype}).</p>`,
    rows.length === 0
      ? "<p>No layer normalization, basis function or sigmoid/tanh node was found.</p>"
      : renderTable({
        caption: `Graph diagnostics: ${rows.length} findings`,
        head: ["finding", "node", "measured", "what it means"],
        rows,
      }),
  ];
  const histograms = d.layerNorms.filter((f) => f.gainPerRow && f.gainPerRow.length > 0).map(
    (f) => {
      const fig = histogramFigure({
        title: `Gain 1/σ of ${f.node}`,
        values: f.gainPerRow!,
        xLabel: "gain 1/σ",
        log: true,
      });
      return renderFigure(fig, fig.label);
    },
  );
  if (histograms.length > 0) {
    parts.push(
      "<h3>LayerNorm gain 1/σ per row</h3><p>How much each layer normalization amplifies changes of its input, over the points: a long right tail is where the model's derivatives are most sensitive.</p>",
      renderGrid(histograms),
    );
  }
  return parts.join("\n");
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)} %`;
}

/** A comparison as a table, one row per entry, with its summary line. */
export function comparisonTable(
  caption: string,
  cmp: JacobianComparison,
  rowThreshold?: number,
): string {
  return renderTable({
    caption,
    head: ["entry", "max abs", "range-norm", "row-norm", "rel", "R²", "within rtol/atol"],
    numeric: [1, 2, 3, 4, 5],
    rows: cmp.entries.map((e) => {
      const rowOk = rowThreshold === undefined || e.rowNormalizedError <= rowThreshold;
      return [
        e.label,
        formatNumber(e.maxAbsError),
        formatNumber(e.rangeNormalizedError),
        { text: formatNumber(e.rowNormalizedError), className: rowOk ? "" : "bad" },
        formatNumber(e.relativeError),
        formatR2(e.r2),
        {
          text: e.pass ? "yes" : `no (${e.failures}/${cmp.points})`,
          className: e.pass ? "ok" : "",
        },
      ];
    }),
  }) +
    `<p class="sub">Worst range-normalized ${formatNumber(cmp.worstRangeNormalized.value)} (${
      escapeHtml(cmp.worstRangeNormalized.label)
    }), worst row-normalized ${formatNumber(cmp.worstRowNormalized.value)} (${
      escapeHtml(cmp.worstRowNormalized.output)
    }); a point is within tolerance when |Δ| ≤ ${cmp.atol} × entry scale + ${cmp.rtol} × |ref|.</p>`;
}

function valueTable(r: CheckResult): string {
  return renderTable({
    caption: "Values: model vs reference",
    head: ["output", "R²", "max abs", "RMSE", "max abs / range"],
    numeric: [1, 2, 3, 4],
    rows: r.values.outputs.map((o) => [
      o.name,
      formatR2(o.r2),
      formatNumber(o.maxAbsError),
      formatNumber(o.rmse),
      formatNumber(o.rangeNormalizedError),
    ]),
  });
}
