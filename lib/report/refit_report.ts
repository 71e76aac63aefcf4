/**
 * `report.html` of a refit: what changed on the held-out points (status
 * lines before → after), the training and held-out loss curves with their
 * value and Jacobian parts, before/after heatmaps of the Jacobian error, a
 * before/after scatter per entry and per output.
 *
 * @module
 */
import { join } from "node:path";
import { CHECK_TOLERANCES } from "../check/check.ts";
import { compareJacobians, type JacobianComparison } from "../compare/jacobians.ts";
import { compareValues, type ValueComparison } from "../compare/values.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import type { RefitResult } from "../refit/refit.ts";
import { makeSurrogate, type Surrogate } from "../surrogate/surrogate.ts";
import { column, comparisonHeatmap, comparisonTable, section } from "./check_report.ts";
import {
  formatNumber,
  formatR2,
  formatThreshold,
  type LineSeries,
  linesFigure,
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
import type { Status, StatusLine } from "./status.ts";

/**
 * One point of the training history. `EpochInfo` of `lib/refit` satisfies it;
 * the optional fields are drawn when present.
 */
export interface RefitHistoryPoint {
  /** 1-based epoch (or checkpoint) count. */
  readonly epoch: number;
  /** Training loss `value + λ · jacobian` (normalized units). */
  readonly trainLoss: number;
  /** Held-out loss `value + λ · jacobian`. */
  readonly holdoutLoss: number;
  /** Held-out value term. */
  readonly holdoutValueLoss: number;
  /** Held-out Jacobian term (before λ). */
  readonly holdoutJacobianLoss: number;
  /** Training value term, when recorded. */
  readonly trainValueLoss?: number;
  /** Training Jacobian term (before λ), when recorded. */
  readonly trainJacobianLoss?: number;
  /** Training phase (e.g. `adam`, `lbfgs`), when recorded. */
  readonly phase?: string;
}

/** A model's values and Jacobians at the held-out points, physical units. */
export interface ModelOnPoints {
  /** Outputs `[N, m]`, row-major. */
  readonly values: Float64Array;
  /** Jacobians `[N, m, n]`, `values[(k*m + i)*n + j] = ∂y_i/∂x_j`. */
  readonly jacobian: Float64Array;
}

/** What {@linkcode renderRefitReport} draws. */
export interface RefitReportInput {
  /** The starting model's file (the title). */
  readonly model: string;
  /** Input names, width `n`. */
  readonly inputs: readonly string[];
  /** Output names, width `m`. */
  readonly outputs: readonly string[];
  /** Weight λ of the Jacobian term. */
  readonly lambda: number;
  /** Per epoch (and L-BFGS checkpoint), in order. */
  readonly history: readonly RefitHistoryPoint[];
  /** The epoch whose weights were kept (0 = the starting weights). */
  readonly bestEpoch: number;
  /**
   * The held-out points and their targets, physical units: `x` `[N, n]`,
   * `values` `[N, m]`, `jacobian` `[N, m, n]` (the reference's, or the data's).
   */
  readonly holdout: {
    readonly x: Float64Array;
    readonly values: Float64Array;
    readonly jacobian: Float64Array;
  };
  /** The starting model at the held-out points. */
  readonly before: ModelOnPoints;
  /** The refit model at the held-out points. */
  readonly after: ModelOnPoints;
  /** 1-based row of each held-out point in the samples file, for labels. @default {1..N} */
  readonly rows?: readonly number[];
  /** Sentences shown under the title (stop reason, timings, sizes). @default {[]} */
  readonly notes?: readonly string[];
  /** Smallest acceptable value R². @default {0.99} */
  readonly r2Min?: number;
  /** Largest acceptable row-normalized Jacobian error. @default {CHECK_TOLERANCES.fit (0.05)} */
  readonly fitTolerance?: number;
}

/**
 * Values and Jacobians of a surrogate at points, for {@linkcode RefitReportInput}
 * `before`/`after`: onnxruntime float32 forward and tfjs float32 autodiff, physical units.
 *
 * @param surrogate The model (starting or refit).
 * @param x Points `[N, n]`, physical units.
 */
export async function evaluateOnPoints(
  surrogate: Surrogate,
  x: Float64Array,
): Promise<ModelOnPoints> {
  const values = await surrogate.predict(x);
  const jacobian = (await surrogate.jacobian(x)).values;
  return { values, jacobian };
}

/**
 * Renders the refit report as one self-contained HTML page (no script, no
 * external resource).
 *
 * Call it after training with the history and both models evaluated at the
 * held-out points (see {@linkcode evaluateOnPoints}); the errors are computed
 * here with `compareJacobians`/`compareValues` against `holdout`'s targets.
 *
 * @throws {TypeError} If an array's length does not match `N`, `m`, `n`.
 *
 * @example Usage
 * ```ts
 * import { renderRefitReport } from "./refit_report.ts";
 * const x = new Float64Array([0, 1, 2]);
 * const html = renderRefitReport({
 *   model: "m.onnx", inputs: ["x"], outputs: ["f"], lambda: 1, bestEpoch: 1,
 *   history: [{ epoch: 1, trainLoss: 1, holdoutLoss: 1, holdoutValueLoss: 0.5, holdoutJacobianLoss: 0.5 }],
 *   holdout: { x, values: new Float64Array([0, 1, 4]), jacobian: new Float64Array([0, 2, 4]) },
 *   before: { values: new Float64Array([0, 2, 2]), jacobian: new Float64Array([1, 1, 1]) },
 *   after: { values: new Float64Array([0, 1, 4]), jacobian: new Float64Array([0, 2, 4]) },
 * });
 * if (!html.includes("Derivative fit") || html.includes("<script")) throw new Error("bad report");
 * ```
 */
export function renderRefitReport(input: RefitReportInput): string {
  const { inputs, outputs, holdout } = input;
  const n = inputs.length;
  const m = outputs.length;
  const N = holdout.x.length / n;
  const check = (what: string, a: ArrayLike<number>, width: number) => {
    if (!Number.isInteger(N) || a.length !== N * width) {
      throw new TypeError(
        `Cannot render the refit report: ${what} has ${a.length} values, expected ${N} × ${width}`,
      );
    }
  };
  check("holdout.values", holdout.values, m);
  check("holdout.jacobian", holdout.jacobian, m * n);
  for (const [name, side] of [["before", input.before], ["after", input.after]] as const) {
    check(`${name}.values`, side.values, m);
    check(`${name}.jacobian`, side.jacobian, m * n);
  }
  const rows = input.rows ?? Array.from({ length: N }, (_, k) => k + 1);
  const fitTol = input.fitTolerance ?? CHECK_TOLERANCES.fit;
  const r2Min = input.r2Min ?? 0.99;
  const names = { points: N, outputs, inputs };
  const target = { ...names, values: holdout.jacobian };
  const jac = {
    before: compareJacobians({ ...names, values: input.before.jacobian }, target),
    after: compareJacobians({ ...names, values: input.after.jacobian }, target),
  };
  const val = {
    before: compareValues(input.before.values, holdout.values, { points: N, names: outputs }),
    after: compareValues(input.after.values, holdout.values, { points: N, names: outputs }),
  };

  const sections = [
    renderStatus(refitStatus(jac, val, { fitTol, r2Min, points: N, lambda: input.lambda })),
  ];
  sections.push(section("loss", "Training", lossPart(input)));
  sections.push(
    section(
      "heatmaps",
      "Where the Jacobian is off, before and after",
      `<p>Row-normalized error of each entry on the ${N} held-out points (largest |Δ| over the points divided by the largest |∂f/∂x| of the output's row); "fail" above ${
        formatThreshold(fitTol)
      }.</p>` +
        renderGrid([
          comparisonHeatmap("before the refit", jac.before, fitTol),
          comparisonHeatmap("after the refit", jac.after, fitTol),
        ]),
    ),
  );
  const legend = renderLegend(["after", "before"], SERIES_COLORS, SERIES_GLYPHS);
  const scatters = jac.after.entries.map((entry, e) => {
    const b = jac.before.entries[e]!;
    const fig = scatterFigure({
      title: `∂${entry.output}/∂${entry.input}`,
      x: column(holdout.jacobian, e, m * n, N),
      series: [
        { name: "after", y: column(input.after.jacobian, e, m * n, N) },
        { name: "before", y: column(input.before.jacobian, e, m * n, N) },
      ],
      xLabel: `reference ∂${entry.output}/∂${entry.input}`,
      yLabel: "model",
      rows,
      limitsFrom: "first",
    });
    return renderFigure(fig, "", {
      captionHtml: `<strong>∂${escapeHtml(entry.output)}/∂${
        escapeHtml(entry.input)
      }</strong>: row-normalized error ${formatNumber(b.rowNormalizedError)} → ${
        formatNumber(entry.rowNormalizedError)
      } <span class="${entry.rowNormalizedError <= fitTol ? "ok" : "bad"}">(${
        entry.rowNormalizedError <= fitTol ? "ok" : "fail"
      } after)</span>, R² ${formatR2(b.r2)} → ${formatR2(entry.r2)}; worst rows after ${
        fig.counts.worstRows.join(", ")
      }.`,
    });
  });
  sections.push(
    section(
      "entries",
      "Model vs reference per entry, before and after",
      `<p>Held-out points: x is the reference derivative, y the model's, before (second colour) and after the refit (first colour, on top). The axes fit the reference and the refit model; points beyond them (mostly the starting model's) are drawn as triangles outlined in red at the edge, in their series' colour. The worst points after the refit are labelled with their row in the samples file.</p>` +
        legend + renderGrid(scatters, n),
    ),
  );
  const valueFigures = outputs.map((output, i) => {
    const fig = scatterFigure({
      title: `${output} values`,
      x: column(holdout.values, i, m, N),
      series: [
        { name: "after", y: column(input.after.values, i, m, N) },
        { name: "before", y: column(input.before.values, i, m, N) },
      ],
      xLabel: `true ${output}`,
      yLabel: "predicted",
      rows,
    });
    return renderFigure(
      fig,
      `${output}: R² ${formatR2(val.before.outputs[i]!.r2)} → ${
        formatR2(val.after.outputs[i]!.r2)
      }.`,
    );
  });
  sections.push(
    section(
      "values",
      "Values: predicted vs true, before and after",
      legend + renderGrid(valueFigures, Math.min(m, 4)),
    ),
  );
  sections.push(
    section(
      "tables",
      "Tables",
      beforeAfterTable(jac, val, outputs) +
        comparisonTable(
          "After the refit: model vs reference on held-out points",
          jac.after,
          fitTol,
        ) +
        comparisonTable("Before the refit", jac.before, fitTol),
    ),
  );
  return renderPage({
    title: `Refit of ${input.model}`,
    subtitle: [
      `${N} held-out points, λ = ${input.lambda}, ${input.history.length} epochs recorded, best ${input.bestEpoch}.`,
      ...(input.notes ?? []),
    ].join(" "),
    nav: [["loss", "Training"], ["heatmaps", "Heatmaps"], ["entries", "Per entry"], [
      "values",
      "Values",
    ], ["tables", "Tables"]],
    body: sections.join("\n"),
  });
}

/**
 * Writes `report.html` into `dir` atomically.
 *
 * @returns The path written.
 */
export async function writeRefitReport(dir: string, input: RefitReportInput): Promise<string> {
  const path = join(dir, "report.html");
  await writeFileAtomic(path, renderRefitReport(input));
  return path;
}

function refitStatus(
  jac: { before: JacobianComparison; after: JacobianComparison },
  val: { before: ValueComparison; after: ValueComparison },
  o: { fitTol: number; r2Min: number; points: number; lambda: number },
): Status {
  const minR2 = (v: ValueComparison) => v.outputs.reduce((a, b) => (!(b.r2 >= a.r2) ? b : a));
  const r2b = minR2(val.before);
  const r2a = minR2(val.after);
  const jb = jac.before.worstRowNormalized;
  const ja = jac.after.worstRowNormalized;
  const valuePass = r2a.r2 >= o.r2Min;
  const fitPass = ja.value <= o.fitTol;
  const lines: StatusLine[] = [
    {
      question: "value-fit",
      title: "Value fit",
      outcome: valuePass ? "pass" : "fail",
      measures: [{
        what: "smallest held-out value R² after the refit",
        value: r2a.r2,
        comparator: "≥",
        threshold: o.r2Min,
        where: r2a.name,
        pass: valuePass,
      }],
      text: `smallest held-out value R² ${formatR2(r2b.r2)} (${r2b.name}) before → ${
        formatR2(r2a.r2)
      } (${r2a.name}) after, ${valuePass ? "≥" : "<"} ${formatThreshold(o.r2Min)}`,
    },
    {
      question: "derivative-fit",
      title: "Derivative fit",
      outcome: fitPass ? "pass" : "fail",
      measures: [{
        what: "worst held-out row-normalized Jacobian error after the refit",
        value: ja.value,
        comparator: "≤",
        threshold: o.fitTol,
        where: ja.output,
        pass: fitPass,
      }],
      text: `worst held-out Jacobian error / row's largest |∂f/∂x| ${
        formatNumber(jb.value)
      } (${jb.output}) before → ${formatNumber(ja.value)} (${ja.output}) after, ${
        fitPass ? "≤" : ">"
      } ${formatThreshold(o.fitTol)}`,
    },
  ];
  const improved = ja.value < jb.value;
  return {
    headline: `${
      fitPass && valuePass
        ? "The refit model's values and derivatives are within tolerance"
        : improved
        ? "The refit lowered the derivative error"
        : "The refit did not lower the derivative error"
    } on ${o.points} held-out points (worst row error ${formatNumber(jb.value)} → ${
      formatNumber(ja.value)
    }, λ = ${o.lambda})`,
    outcome: fitPass && valuePass ? "pass" : "fail",
    lines,
  };
}

function lossPart(input: RefitReportInput): string {
  const h = input.history;
  if (h.length === 0) return "<p>No epoch was recorded.</p>";
  const series = (
    name: string,
    pick: (p: RefitHistoryPoint) => number | undefined,
  ): LineSeries => ({
    name,
    points: h.flatMap((p) => {
      const y = pick(p);
      return y === undefined ? [] : [{ x: p.epoch, y }];
    }),
  });
  const all: LineSeries[] = [
    series("training, total", (p) => p.trainLoss),
    series("held-out, total", (p) => p.holdoutLoss),
    series("held-out, value part", (p) => p.holdoutValueLoss),
    series("held-out, Jacobian part", (p) => p.holdoutJacobianLoss),
    series("training, value part", (p) => p.trainValueLoss),
    series("training, Jacobian part", (p) => p.trainJacobianLoss),
  ].filter((s) => s.points.length > 0);
  const best = h.find((p) => p.epoch === input.bestEpoch);
  const last = h[h.length - 1]!;
  const fig = linesFigure({
    title: "Loss curves",
    xLabel: "epoch",
    yLabel: "loss (normalized units)",
    series: all,
    logY: true,
    width: 440,
    ...(input.bestEpoch > 0
      ? { ruleX: { x: input.bestEpoch, label: `the best epoch ${input.bestEpoch}` } }
      : {}),
    summary: `Held-out loss ${formatNumber(h[0]!.holdoutLoss)} at epoch ${h[0]!.epoch}, ${
      formatNumber(best?.holdoutLoss ?? last.holdoutLoss)
    } at the best epoch, ${formatNumber(last.holdoutLoss)} at the last (${last.epoch})`,
  });
  const phases = [...new Set(h.map((p) => p.phase).filter((p): p is string => p !== undefined))];
  return `<p>Loss per epoch in normalized units: the total is the value part plus λ = ${input.lambda} times the Jacobian part. The weights kept are those of the best held-out epoch${
    phases.length > 1 ? `; phases: ${escapeHtml(phases.join(", "))}` : ""
  }.</p>` +
    renderLegend(all.map((s) => s.name), SERIES_COLORS, all.map(() => "—")) +
    renderFigure(fig, fig.label, { wide: true });
}

function beforeAfterTable(
  jac: { before: JacobianComparison; after: JacobianComparison },
  val: { before: ValueComparison; after: ValueComparison },
  outputs: readonly string[],
): string {
  const rows: Cell[][] = outputs.map((o, i) => [
    o,
    formatR2(val.before.outputs[i]!.r2),
    formatR2(val.after.outputs[i]!.r2),
    formatNumber(jac.before.perOutput[i]!.rowNormalizedError),
    formatNumber(jac.after.perOutput[i]!.rowNormalizedError),
  ]);
  return renderTable({
    caption: "Held-out points, per output: before → after",
    head: ["output", "R² before", "R² after", "Jacobian error before (row)", "after (row)"],
    numeric: [1, 2, 3, 4],
    rows,
  });
}

/**
 * Writes `DIR/report.html` for a finished refit: evaluates the starting model
 * and the refit one (built from `result.onnx` with the starting model's
 * scaling) at the held-out points and renders {@linkcode renderRefitReport}.
 * Nothing is written when the held-out points have no Jacobian targets (a
 * value-only refit).
 *
 * @param dir Output folder (the refit's `--out`).
 * @param result The refit.
 * @param start The starting model (not modified).
 * @param options `model` names the starting model in the title; `fitTolerance`
 *   is the refit's target (the status line's threshold, default as {@linkcode RefitReportInput}).
 * @returns The path written, or `undefined`.
 */
export async function writeRefitResultReport(
  dir: string,
  result: RefitResult,
  start: Surrogate,
  options: { model: string; fitTolerance?: number },
): Promise<string | undefined> {
  const { data, rows } = result.heldOut;
  if (data.jacobian === undefined) return undefined;
  const after = makeSurrogate(result.onnx, start.scaling);
  try {
    return await writeRefitReport(dir, {
      model: options.model,
      inputs: result.inputs,
      outputs: result.outputs,
      lambda: result.options.lambda,
      history: result.history,
      bestEpoch: result.bestEpoch,
      holdout: { x: data.x, values: data.values, jacobian: data.jacobian },
      before: await evaluateOnPoints(start, data.x),
      after: await evaluateOnPoints(after, data.x),
      rows: rows.map((k) => k + 1),
      ...(options.fitTolerance !== undefined ? { fitTolerance: options.fitTolerance } : {}),
      notes: [
        `Stopped: ${result.stopReason}; ${result.adamEpochs} Adam epochs, ${result.lbfgs.iterations} L-BFGS iterations, ${
          (result.timings.totalMs / 1000).toFixed(1)
        } s on tfjs ${result.backend}; ${result.split.train} training points.`,
      ],
    });
  } finally {
    await after.dispose();
  }
}
