/**
 * The status block of a check: the verdict and its cause, then one line per
 * question (engines agree, scaling constants, the user's Jacobian when given,
 * value fit, derivative fit), each with pass/fail, its numbers and thresholds.
 * Data first: the same lines go to `metrics.json` (`status`) and to the report.
 *
 * @module
 */
import type { CheckResult } from "../check/check.ts";
import type { OracleParity } from "../check/oracle.ts";
import { formatNumber, formatR2, formatThreshold } from "./figures.ts";

/** Cause codes of `metrics.json` `verdict.cause` (see DESIGN.md). */
export type CauseCode = CheckResult["verdict"]["cause"];

/** A scaling row's constants: min/max, or mean/std for a z-score row. */
export type SuspectConstants =
  | { readonly min: number; readonly max: number }
  | { readonly mean: number; readonly std: number };

/** `[min, max]` or `mean m, std s`, with `digits` significant digits. */
function constantsText(c: SuspectConstants, digits: number): string {
  const f = (v: number) => Number(v.toPrecision(digits)).toString();
  return "min" in c ? `[${f(c.min)}, ${f(c.max)}]` : `mean ${f(c.mean)}, std ${f(c.std)}`;
}

/** Which question a status line answers. */
export type StatusQuestion =
  | "engines"
  | "scaling"
  | "user-jacobian"
  | "value-fit"
  | "derivative-fit";

/** One measured number with the threshold it is judged by. */
export interface StatusMeasure {
  /** What was measured, in words. */
  readonly what: string;
  readonly value: number;
  /** `≤` for errors, `≥` for R². */
  readonly comparator: "≤" | "≥";
  readonly threshold: number;
  /** Where the worst value is (entry, output). */
  readonly where?: string;
  readonly pass: boolean;
}

/** One line of the status block. */
export interface StatusLine {
  readonly question: StatusQuestion;
  /** The question as a heading, e.g. `Engines agree`. */
  readonly title: string;
  /** `pass`, `fail`, or `not tested` (a question the check did not run). */
  readonly outcome: "pass" | "fail" | "not tested";
  /** The numbers behind it. */
  readonly measures: readonly StatusMeasure[];
  /** One sentence: what was tested and what it found, with the numbers. */
  readonly text: string;
}

/** The status block. */
export interface Status {
  /** The decided cause (`ok` when none); a refit's status has none. */
  readonly cause?: CauseCode;
  /** Every cause found, in decision order. */
  readonly causes?: readonly CauseCode[];
  /** The verdict in one sentence. */
  readonly headline: string;
  /** The numbers behind the verdict, one sentence. @default {undefined} */
  readonly summary?: string;
  /** What to do. @default {undefined} */
  readonly action?: string;
  /** Overall: `pass` when every tested line passes. */
  readonly outcome: "pass" | "fail";
  readonly lines: readonly StatusLine[];
}

/** Options of {@linkcode checkStatus}. */
export interface CheckStatusOptions {
  /** The toolkit's engines against PyTorch's saved values (`verify`). @default {undefined} */
  parity?: OracleParity;
}

/** Headlines of the cause codes. */
export const CAUSE_HEADLINES: Readonly<Record<CauseCode, string>> = {
  differentiation: "The toolkit's own derivative engines disagree: fix that before judging the fit",
  "scaling-file": "The scaling constants do not fit the model",
  "user-jacobian": "Your Jacobian is not the model's Jacobian",
  architecture: "The architecture cannot represent the reference",
  underfit: "The values are under-fit",
  "derivative-fit": "The values fit, the derivatives do not",
  ok: "Everything tested is within tolerance",
};

/**
 * The status block of a check result: the verdict (cause, summary, action)
 * first, then one line per question, each with its numbers and the verdict's
 * tolerances (`verdict.tolerances`).
 *
 * Engines agree: float32 autodiff and (when it ran) the float32 derivative
 * graph vs float64 finite differences (worst range-normalized error ≤
 * `differentiation`), and with `parity` the forwards and Jacobians vs PyTorch. Scaling constants: the chain rule on the file's
 * constants vs autodiff through the composition (≤ `chainRule`, row-normalized)
 * and the scaling audit's suspects. Your Jacobian: when one was given. Value
 * fit: smallest R² ≥ `r2Min`. Derivative fit: worst row-normalized error ≤
 * `fitTol`. When the audit corrected the constants, the fit lines are measured
 * with the corrected ones, as the verdict is, and say so.
 */
export function checkStatus(r: CheckResult, options: CheckStatusOptions = {}): Status {
  const verdict = r.verdict;
  const t = verdict.tolerances;
  const c = r.comparisons;
  const lines: StatusLine[] = [];

  const diff = c.differentiation.worstRangeNormalized;
  const engineMeasures: StatusMeasure[] = [{
    what: "float32 autodiff vs float64 finite differences (range-normalized)",
    value: diff.value,
    comparator: "≤",
    threshold: t.differentiation,
    where: diff.label,
    pass: diff.value <= t.differentiation,
  }];
  const graphDiff = c.graphDifferentiation?.worstRangeNormalized;
  if (graphDiff) {
    engineMeasures.push({
      what: "float32 derivative graph vs float64 finite differences (range-normalized)",
      value: graphDiff.value,
      comparator: "≤",
      threshold: t.differentiation,
      where: graphDiff.label,
      pass: graphDiff.value <= t.differentiation,
    });
  }
  const p = options.parity;
  if (p) {
    const parity = (what: string, m: OracleParity["forwardOrt"]): StatusMeasure => ({
      what,
      value: m.value,
      comparator: "≤",
      threshold: m.tolerance,
      where: m.where,
      pass: m.pass,
    });
    engineMeasures.push(
      parity("onnxruntime forward vs PyTorch", p.forwardOrt),
      parity("tfjs forward vs PyTorch", p.forwardTf),
      parity("autodiff vs PyTorch float64 autograd", p.autodiff),
      parity("finite differences vs PyTorch float64 autograd", p.finiteDifferences),
    );
    if (p.graph) {
      engineMeasures.push(parity("derivative graph vs PyTorch float64 autograd", p.graph));
    }
    if (p.graph64) {
      engineMeasures.push(
        parity("float64 derivative graph vs PyTorch float64 autograd", p.graph64),
      );
    }
  }
  lines.push(line("engines", "Engines agree", engineMeasures));

  const scaling = c.scaling.worstRowNormalized;
  const chain: StatusMeasure = {
    what:
      "chain rule on the file's constants vs autodiff through normalize → model → denormalize (row-normalized)",
    value: scaling.value,
    comparator: "≤",
    threshold: t.chainRule,
    where: scaling.output,
    pass: verdict.scalingConsistent,
  };
  const suspects = verdict.scaling.suspects;
  const audited = r.audits.scaling.tested;
  const audit = !audited
    ? `the constants themselves were not audited (${
      String(r.audits.scaling.outputFinding.detail["absent"] ?? "too few points")
    })`
    : suspects.length === 0
    ? "the audit of the constants against the model and the reference finds every row consistent"
    : `the audit of the constants names ${
      suspects.map((s) =>
        `${s.variable} (${s.kind}${s.with ? ` with ${s.with}` : ""}: file ${
          constantsText(s.file, 17)
        }, implied ${constantsText(s.implied, 4)})`
      ).join(", ")
    }`;
  const scalingLine = line("scaling", "Scaling constants", [chain]);
  lines.push({
    ...scalingLine,
    outcome: !chain.pass || suspects.length > 0 ? "fail" : audited ? "pass" : "not tested",
    text: `${scalingLine.text}; ${audit}`,
  });

  const uj = verdict.userJacobian;
  if (uj !== undefined) {
    const measure: StatusMeasure = {
      what: "your Jacobian vs the model's (row-normalized)",
      value: uj.error,
      comparator: "≤",
      threshold: uj.threshold,
      pass: uj.hypothesis === "correct",
    };
    const named = uj.hypothesis === "correct"
      ? "equals the model's Jacobian in physical units"
      : uj.hypothesis === "none"
      ? "matches none of the tested mistakes"
      : `matches the mistake "${uj.hypothesis}"${
        uj.factor !== undefined && uj.hypothesis === "factor"
          ? ` (factor ${uj.factor.toPrecision(4)})`
          : ""
      }`;
    lines.push({
      question: "user-jacobian",
      title: "Your Jacobian",
      outcome: uj.hypothesis === "correct" ? "pass" : "fail",
      measures: uj.hypothesis === "correct" ? [measure] : [],
      text: `Your Jacobian ${named}${
        uj.hypothesis === "correct" ? `: ${describe([measure])}` : ""
      }${uj.formula ? `. ${uj.formula}` : ""}`,
    });
  }

  const corrected = r.corrected !== undefined;
  const values = r.corrected?.values ?? r.values;
  const fitCmp = r.corrected?.fit ?? c.fit;
  const note = corrected ? " with the corrected scaling constants" : "";
  const worstR2 = values.outputs.reduce((a, b) => (!(b.r2 >= a.r2) ? b : a));
  lines.push(line("value-fit", "Value fit", [{
    what: `smallest value R² over the outputs${note}`,
    value: worstR2.r2,
    comparator: "≥",
    threshold: t.r2Min,
    where: worstR2.name,
    pass: worstR2.r2 >= t.r2Min,
  }]));

  const fit = fitCmp.worstRowNormalized;
  lines.push(line("derivative-fit", "Derivative fit", [{
    what: `model vs reference Jacobian${note}, worst error / output row's largest |∂f/∂x|`,
    value: fit.value,
    comparator: "≤",
    threshold: t.fitTol,
    where: fit.output,
    pass: verdict.fitDerivativesGood,
  }]));

  return {
    cause: verdict.cause,
    causes: verdict.causes,
    headline: `${CAUSE_HEADLINES[verdict.cause] ?? verdict.cause} (cause: ${verdict.cause})`,
    summary: verdict.summary,
    action: verdict.action,
    outcome: lines.every((l) => l.outcome !== "fail") ? "pass" : "fail",
    lines,
  };
}

function line(question: StatusQuestion, title: string, measures: StatusMeasure[]): StatusLine {
  const pass = measures.every((m) => m.pass);
  return {
    question,
    title,
    outcome: measures.length === 0 ? "not tested" : pass ? "pass" : "fail",
    measures,
    text: describe(measures),
  };
}

/** `what value ≤ threshold (where)`, with `>`/`<` for failures; joined by `; `. */
export function describe(measures: readonly StatusMeasure[]): string {
  return measures.map((m) => {
    const value = m.comparator === "≥" ? formatR2(m.value) : formatNumber(m.value);
    const sign = m.pass ? m.comparator : m.comparator === "≤" ? ">" : "<";
    return `${m.what} ${value} ${sign} ${formatThreshold(m.threshold)}${
      m.where ? ` (worst ${m.where})` : ""
    }`;
  }).join("; ");
}

/**
 * A JSON-ready copy of the status block for `metrics.json` (non-finite numbers as `null`).
 */
export function statusToJson(status: Status): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(status, (_k, v) => typeof v === "number" && !Number.isFinite(v) ? null : v),
  );
}
