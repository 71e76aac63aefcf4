/**
 * The status block of a check: the verdict and its cause, then one line per
 * question (engines agree, scaling constants, the user's Jacobian when given,
 * value fit, derivative fit), each with pass/fail, its numbers and thresholds.
 * Data first: the same lines go to `metrics.json` (`status`) and to the report.
 *
 * @module
 */
import type { CheckResult } from "../check/check.ts";
import { CHECK_TOLERANCES } from "../check/check.ts";
import type { OracleParity } from "../check/oracle.ts";
import { formatNumber, formatR2, formatThreshold } from "./figures.ts";

/** Cause codes of `metrics.json` `verdict.cause` (see DESIGN.md). */
export type CauseCode =
  | "differentiation"
  | "scaling-file"
  | "user-jacobian"
  | "architecture"
  | "underfit"
  | "derivative-fit"
  | "ok";

/** A scaling row's constants: min/max, or mean/std for a z-score row. */
export type SuspectConstants =
  | { readonly min: number; readonly max: number }
  | { readonly mean: number; readonly std: number };

/** A scaling row whose constants disagree with the model (`verdict.scaling.suspects[]`). */
export interface ScalingSuspect {
  readonly variable: string;
  readonly kind: "swap" | "range" | string;
  readonly file?: SuspectConstants;
  readonly implied?: SuspectConstants;
}

/** `[min, max]` or `mean m, std s`, with `digits` significant digits. */
function constantsText(c: SuspectConstants, digits: number): string {
  const f = (v: number) => Number(v.toPrecision(digits)).toString();
  return "min" in c ? `[${f(c.min)}, ${f(c.max)}]` : `mean ${f(c.mean)}, std ${f(c.std)}`;
}

/** The hypotheses tested on the user's own Jacobian (`verdict.userJacobian.hypothesis`). */
export type UserJacobianHypothesis =
  | "correct"
  | "inverse"
  | "normalized"
  | "output-only"
  | "input-only"
  | "transposed"
  | "factor"
  | "none";

/**
 * The parts of a verdict that tell the causes apart, read when the check
 * result's `verdict` carries them (names as in DESIGN.md's `metrics.json`
 * contract). All optional: without them the status block shows what the
 * current checks measured and says the audits were not run.
 */
export interface VerdictCauses {
  /** The decided cause. */
  readonly cause?: CauseCode;
  /** Every cause found, in decision order. */
  readonly causes?: readonly CauseCode[];
  /** The scaling audit: rows whose constants are suspect (empty when none). */
  readonly scaling?: { readonly suspects: readonly ScalingSuspect[] };
  /** The user's own Jacobian: which hypothesis matched, with the factor for `factor`. */
  readonly userJacobian?: {
    readonly hypothesis: UserJacobianHypothesis;
    readonly factor?: number;
    /** Its error against the model's Jacobian, and the threshold it was judged by, when given. */
    readonly error?: number;
    readonly threshold?: number;
    /** The corrected formula, for a mistake. */
    readonly formula?: string;
  };
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
  /** The decided cause, when the verdict carries one. */
  readonly cause?: CauseCode;
  /** Every cause found, when the verdict carries them. */
  readonly causes?: readonly CauseCode[];
  /** The verdict in one sentence. */
  readonly headline: string;
  /** Overall: `pass` when every tested line passes. */
  readonly outcome: "pass" | "fail";
  readonly lines: readonly StatusLine[];
}

/** Options of {@linkcode checkStatus}. */
export interface CheckStatusOptions {
  /** The toolkit's engines against PyTorch's saved values (`verify`). @default {undefined} */
  parity?: OracleParity;
  /** Smallest acceptable value R² (the `--r2-min` default). @default {0.99} */
  r2Min?: number;
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
 * The status block of a check result: verdict first, then one line per question.
 *
 * Engines agree: float32 autodiff vs float64 finite differences (worst
 * range-normalized error ≤ {@linkcode CHECK_TOLERANCES.differentiation}), and
 * with `parity` the forwards and Jacobians vs PyTorch. Scaling constants: the
 * chain rule on the file's constants vs autodiff through the composition
 * (≤ {@linkcode CHECK_TOLERANCES.scaling}, row-normalized), plus the audit's
 * suspects when the verdict has them. The user's Jacobian: only when the
 * verdict has `userJacobian`. Value fit: smallest R² ≥ `r2Min`. Derivative fit:
 * worst row-normalized error ≤ {@linkcode CHECK_TOLERANCES.fit}.
 */
export function checkStatus(r: CheckResult, options: CheckStatusOptions = {}): Status {
  const verdict = r.verdict as CheckResult["verdict"] & VerdictCauses;
  const c = r.comparisons;
  const lines: StatusLine[] = [];

  const diff = c.differentiation.worstRangeNormalized;
  const engineMeasures: StatusMeasure[] = [{
    what: "float32 autodiff vs float64 finite differences (range-normalized)",
    value: diff.value,
    comparator: "≤",
    threshold: CHECK_TOLERANCES.differentiation,
    where: diff.label,
    pass: verdict.differentiationCorrect,
  }];
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
  }
  lines.push(line("engines", "Engines agree", engineMeasures));

  const scaling = c.scaling.worstRowNormalized;
  const chain: StatusMeasure = {
    what:
      "chain rule on the file's constants vs autodiff through normalize → model → denormalize (row-normalized)",
    value: scaling.value,
    comparator: "≤",
    threshold: CHECK_TOLERANCES.scaling,
    where: scaling.output,
    pass: verdict.scalingConsistent,
  };
  const suspects = verdict.scaling?.suspects;
  const scalingLine = line("scaling", "Scaling constants", [chain]);
  if (suspects === undefined) {
    lines.push({
      ...scalingLine,
      text: scalingLine.text +
        ". The constants themselves were not audited against the reference: this shows only that they are applied consistently",
    });
  } else {
    const audit = suspects.length === 0
      ? "the audit finds every row's constants consistent with the model and the reference"
      : `the audit suspects ${
        suspects.map((s) =>
          `${s.variable} (${s.kind}${
            s.file && s.implied
              ? `: file ${constantsText(s.file, 17)}, implied ${constantsText(s.implied, 4)}`
              : ""
          })`
        ).join(", ")
      }`;
    const pass = chain.pass && suspects.length === 0;
    lines.push({
      ...scalingLine,
      outcome: pass ? "pass" : "fail",
      text: `${scalingLine.text}; ${audit}`,
    });
  }

  const uj = verdict.userJacobian;
  if (uj !== undefined) {
    const measures: StatusMeasure[] = uj.error !== undefined && uj.threshold !== undefined
      ? [{
        what: "your Jacobian vs the model's",
        value: uj.error,
        comparator: "≤",
        threshold: uj.threshold,
        pass: uj.hypothesis === "correct",
      }]
      : [];
    const named = uj.hypothesis === "correct"
      ? "matches the model's Jacobian in physical units"
      : uj.hypothesis === "none"
      ? "matches none of the tested mistakes"
      : `matches the hypothesis "${uj.hypothesis}"${
        uj.factor !== undefined ? ` (factor ${uj.factor.toPrecision(4)})` : ""
      }${uj.formula ? `; corrected: ${uj.formula}` : ""}`;
    const base = line("user-jacobian", "Your Jacobian", measures);
    lines.push({
      ...base,
      outcome: uj.hypothesis === "correct" ? "pass" : "fail",
      text: `Your Jacobian ${named}${measures.length > 0 ? `: ${describe(measures)}` : ""}`,
    });
  }

  const r2Min = options.r2Min ?? 0.99;
  const worstR2 = r.values.outputs.reduce((a, b) => (!(b.r2 >= a.r2) ? b : a));
  lines.push(line("value-fit", "Value fit", [{
    what: "smallest value R² over the outputs",
    value: worstR2.r2,
    comparator: "≥",
    threshold: r2Min,
    where: worstR2.name,
    pass: worstR2.r2 >= r2Min,
  }]));

  const fit = c.fit.worstRowNormalized;
  lines.push(line("derivative-fit", "Derivative fit", [{
    what: "model vs reference Jacobian, worst error / output row's largest |∂f/∂x|",
    value: fit.value,
    comparator: "≤",
    threshold: CHECK_TOLERANCES.fit,
    where: fit.output,
    pass: verdict.fitDerivativesGood,
  }]));

  const conclusion = /Conclusion: (.*)$/.exec(verdict.diagnosis)?.[1];
  const headline = verdict.cause !== undefined
    ? `${CAUSE_HEADLINES[verdict.cause] ?? verdict.cause} (cause: ${verdict.cause})`
    : conclusion ?? verdict.diagnosis;
  return {
    ...(verdict.cause !== undefined ? { cause: verdict.cause } : {}),
    ...(verdict.causes !== undefined ? { causes: verdict.causes } : {}),
    headline,
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
