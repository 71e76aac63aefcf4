/**
 * The verdict: one cause code decided by ordered rules over typed findings,
 * then the sentence, the action and the evidence rendered from the numbers.
 * Each finding states what was tested; a cause is only named when its finding
 * holds, and every line says how it was tested.
 *
 * @module
 */
import type { DataAudit } from "./data_audit.ts";
import type { Finding } from "./finding.ts";
import { formatConstants } from "./constants.ts";
import type { ScalingAudit, ScalingSuspect } from "./scaling_audit.ts";
import type { StructureAudit } from "./architecture.ts";
import type { UserJacobianAudit } from "./user_jacobian.ts";

/** The causes, in the order they are decided. */
export const CAUSES = [
  "differentiation",
  "scaling-file",
  "user-jacobian",
  "architecture",
  "underfit",
  "derivative-fit",
] as const;

/** A cause the verdict can name. */
export type Cause = (typeof CAUSES)[number];

/** The verdict's code: the first cause found, or `"ok"`. */
export type VerdictCause = Cause | "ok";

/** Every finding the rules read. Optional ones were not tested (no file given). */
export interface Findings {
  /** float32 autodiff vs float64 finite differences of the onnxruntime copy. */
  readonly differentiation: Finding<"differentiation">;
  /** The chain rule on the file's constants vs autodiff of the composition (same constants). */
  readonly chainRule: Finding<"chain-rule">;
  readonly outputScaling: Finding<"output-scaling">;
  readonly inputScaling: Finding<"input-scaling">;
  /** The scaling file vs the training data (`--data`). */
  readonly dataRange?: Finding<"data-range">;
  /** The user's Jacobian (`--jacobian`). */
  readonly userJacobian?: Finding<"user-jacobian">;
  /** A structural reason the model cannot fit (first-layer LayerNorm invariance). */
  readonly structure: Finding<"structure">;
  /** Holds when the values fit poorly (some R² < `r2Min`). */
  readonly valueFit: Finding<"value-fit">;
  /** Holds when the derivatives are off (worst row-normalized error > `fitTol`). */
  readonly derivativeFit: Finding<"derivative-fit">;
}

/** The decision: one line per cause, in order; a cause is found when its rule holds. */
export const RULES: readonly (readonly [Cause, (f: Findings) => boolean])[] = [
  ["differentiation", (f) => f.differentiation.holds || f.chainRule.holds],
  [
    "scaling-file",
    (f) => f.outputScaling.holds || f.inputScaling.holds || (f.dataRange?.holds ?? false),
  ],
  ["user-jacobian", (f) => f.userJacobian?.holds ?? false],
  ["architecture", (f) => f.valueFit.holds && f.structure.holds],
  ["underfit", (f) => f.valueFit.holds && !f.structure.holds],
  ["derivative-fit", (f) => !f.valueFit.holds && f.derivativeFit.holds],
];

/**
 * Applies {@linkcode RULES}: every cause whose rule holds, in order, and the first as the code.
 *
 * @example Usage
 * ```ts
 * import { finding } from "./finding.ts";
 * import { decideCause } from "./verdict.ts";
 * const no = <K extends string>(kind: K) => finding(kind, false, 0, 1);
 * const { cause } = decideCause({
 *   differentiation: no("differentiation"), chainRule: no("chain-rule"),
 *   outputScaling: no("output-scaling"), inputScaling: no("input-scaling"),
 *   structure: no("structure"), valueFit: no("value-fit"),
 *   derivativeFit: finding("derivative-fit", true, 0.29, 0.05),
 * });
 * if (cause !== "derivative-fit") throw new Error(cause);
 * ```
 */
export function decideCause(f: Findings): { cause: VerdictCause; causes: Cause[] } {
  const causes = RULES.filter(([, rule]) => rule(f)).map(([cause]) => cause);
  return { cause: causes[0] ?? "ok", causes };
}

/** The tolerances of the table and the verdict. */
export interface VerdictTolerances {
  /** Per-entry pass/fail of the table: `|calc − ref| ≤ atol · scale_ij + rtol · |ref|`. */
  readonly rtol: number;
  readonly atol: number;
  /** Values fit when every output's R² ≥ this. */
  readonly r2Min: number;
  /** Derivatives fit when the worst row-normalized error ≤ this. */
  readonly fitTol: number;
  /** The engines agree when autodiff vs finite differences ≤ this (range-normalized). */
  readonly differentiation: number;
  /** The chain rule agrees with composed autodiff when ≤ this (row-normalized). */
  readonly chainRule: number;
}

/** What the rendering reads besides the findings. */
export interface VerdictEvidence {
  readonly findings: Findings;
  readonly tolerances: VerdictTolerances;
  readonly points: number;
  readonly scaling: ScalingAudit;
  readonly data?: DataAudit;
  readonly userJacobian?: UserJacobianAudit;
  readonly structure: StructureAudit;
  /** Per output, R² of the values (with the corrected constants when the scaling audit named rows). */
  readonly r2: readonly { readonly name: string; readonly r2: number }[];
  /** The model vs the reference's Jacobian (corrected constants as above). */
  readonly fit: {
    readonly output: string;
    readonly value: number;
    readonly entry?: {
      readonly label: string;
      readonly calc: number;
      readonly ref: number;
      /** 1-based. */
      readonly point: number;
    };
  };
  /** The entries of the table that pass `rtol`/`atol`, and their count. */
  readonly passing: { readonly pass: number; readonly of: number };
  /** Worst autodiff vs finite differences entry. */
  readonly differentiationEntry: string;
  /** Worst chain-rule output row. */
  readonly chainRuleOutput: string;
}

/** The verdict, data first. */
export interface Verdict {
  /** The first cause found, or `"ok"`. */
  readonly cause: VerdictCause;
  /** Every cause found, in the order of {@linkcode CAUSES}. */
  readonly causes: readonly Cause[];
  /** One sentence with the numbers behind the cause. */
  readonly summary: string;
  /** What to do. */
  readonly action: string;
  /** One line per test: what was tested, how, and the number against its threshold. */
  readonly evidence: readonly string[];
  /** Every finding, as decided on. */
  readonly findings: readonly Finding[];
  readonly tolerances: VerdictTolerances;
  /** Point indices in the text and in `metrics.json` count from this (the first data row of a CSV is 1). */
  readonly pointIndexBase: 1;
}

const sci = (v: number) => (Number.isFinite(v) ? v.toExponential(1) : String(v));
const pct = (v: number) => `${(100 * v).toPrecision(v >= 0.995 ? 4 : 2)} %`;
const r2s = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

/** Decides and renders the verdict. */
export function renderVerdict(e: VerdictEvidence): Verdict {
  const { cause, causes } = decideCause(e.findings);
  const f = e.findings;
  const t = e.tolerances;
  const corrected = e.scaling.suspects.length > 0;
  const worst = e.r2.reduce((a, b) => (b.r2 < a.r2 || Number.isNaN(b.r2) ? b : a));
  const best = e.r2.reduce((a, b) => (b.r2 > a.r2 ? b : a));
  const withCorrected = corrected ? " (with the corrected scaling constants)" : "";
  const times = (v: number) => (v >= 1 ? `${v.toPrecision(2)} times` : `${pct(v)} of`);
  const fitLine =
    `off by up to ${times(e.fit.value)} ${e.fit.output}'s largest |∂${e.fit.output}/∂x|` +
    (e.fit.entry
      ? ` (worst entry ${e.fit.entry.label}: ${
        e.fit.entry.calc.toPrecision(3)
      } where the reference is ${e.fit.entry.ref.toPrecision(3)}, point ${e.fit.entry.point})`
      : "");

  let summary: string;
  let action: string;
  switch (cause) {
    case "differentiation":
      summary = f.differentiation.holds
        ? `The toolkit's own engines disagree: float32 autodiff and float64 finite differences differ by ${
          sci(f.differentiation.value)
        } of ${e.differentiationEntry}'s range (> ${t.differentiation}).`
        : `The toolkit's own engines disagree: the chain rule on the file's constants and autodiff of the composition differ by ${
          sci(f.chainRule.value)
        } of ${e.chainRuleOutput}'s scale (> ${t.chainRule}).`;
      action =
        "Nothing about the model can be concluded until they agree: this is a fault of partials or of an op it translates (rerun with --debug and report it).";
      break;
    case "scaling-file":
      summary = scalingSummary(e);
      action =
        "Correct those rows of the scaling file: use the constants the model was trained with (the implied values above are estimates from the reference's values through the model).";
      break;
    case "user-jacobian": {
      const u = e.userJacobian!;
      summary =
        `Your Jacobian (${u.source}, ${u.points} points) is not the model's: it differs by ${
          sci(u.errors.correct ?? NaN)
        } of a row's scale (> ${u.tolerance}); ${hypothesisPhrase(u)}.`;
      action = u.formula;
      break;
    }
    case "architecture": {
      const s = e.structure;
      const probe = s.probes.reduce((a, b) => (b.ratio < a.ratio ? b : a));
      summary = `The model cannot represent the reference: R² as low as ${
        r2s(worst.r2)
      } (${worst.name})${withCorrected}, and its first-layer LayerNorm (${
        s.layerNorm!.node
      }) over all ${
        s.layerNorm!.k
      } inputs removes their common shift and scale: a common ${probe.direction} of the normalized inputs moves the model's outputs by ${
        sci(probe.ratio)
      } of what it moves the reference's (${probe.reference.toPrecision(2)} of their spread).`;
      action =
        "Refitting will not help: give the first layer a path around the LayerNorm (FastKAN: keep the base path, use_base_update=True, on the inputs) or do not normalize across the inputs.";
      break;
    }
    case "underfit":
      summary = `The values do not fit: R² as low as ${
        r2s(worst.r2)
      } (${worst.name}) < --r2-min ${t.r2Min}${withCorrected}, and no structural cause was found (${
        structurePhrase(e.structure)
      }).`;
      action =
        "Train longer, on more data, or a larger model, and check the training data; derivatives of a model that does not fit its values are not worth comparing yet.";
      break;
    case "derivative-fit":
      summary = `The values fit (R² ≥ ${
        r2s(worst.r2)
      } ≥ --r2-min ${t.r2Min})${withCorrected} but the derivatives do not: ${fitLine} > --fit-tol ${t.fitTol}.`;
      action =
        "A fit of values does not constrain derivatives: refit with derivative information (partials refit), or sample the inputs more densely.";
      break;
    case "ok":
      summary = `The model matches the reference at these ${e.points} points: values R² ≥ ${
        r2s(worst.r2)
      } (≥ ${t.r2Min}), Jacobian within ${
        pct(e.fit.value)
      } of each output row's largest |∂f/∂x| (≤ --fit-tol ${t.fitTol}); nothing else was found.`;
      action = "Nothing to fix.";
      break;
  }
  void best;

  const evidence = [
    `${
      mark(f.differentiation.holds)
    } differentiation: float32 autodiff vs float64 finite differences of the onnxruntime copy differ by ${
      sci(f.differentiation.value)
    } of the worst entry's range (${e.differentiationEntry}; limit ${t.differentiation}).`,
    `${
      mark(f.chainRule.holds)
    } chain rule: diag(dy/dŷ)·Ĵ·diag(dx̂/dx) with the file's constants equals autodiff of normalize → model → denormalize to ${
      sci(f.chainRule.value)
    } of each row's scale (limit ${t.chainRule}); this checks the arithmetic of the de-normalization, not the constants.`,
    e.scaling.tested
      ? `${
        mark(f.outputScaling.holds || f.inputScaling.holds)
      } scaling constants vs the reference's values through the model: ${
        scalingEvidence(e.scaling)
      }`
      : `– scaling constants: ${f.outputScaling.detail.absent}.`,
    e.data
      ? `${mark(e.data.finding.holds)} training data (${e.data.source}, ${e.data.rows} rows): ${
        dataEvidence(e.data)
      }`
      : "– training data: not tested (give --data SAMPLES.csv).",
    e.userJacobian
      ? `${
        mark(e.userJacobian.finding.holds)
      } your Jacobian (${e.userJacobian.source}, ${e.userJacobian.points} points): ${
        hypothesisPhrase(e.userJacobian)
      }${
        e.userJacobian.referenceError !== undefined
          ? `; its _true columns differ from the reference by ${
            sci(e.userJacobian.referenceError)
          } of a row's scale`
          : ""
      }.`
      : "– your Jacobian: not tested (give --jacobian JACOBIAN.csv).",
    e.structure.finding.detail.tested
      ? `${mark(f.structure.holds)} structure: ${structurePhrase(e.structure)}.`
      : `– structure: ${structurePhrase(e.structure)}.`,
    `${mark(f.valueFit.holds)} value fit${withCorrected}: R² ${
      e.r2.map((o) => `${o.name} ${r2s(o.r2)}`).join(", ")
    } (limit ${t.r2Min}).`,
    `${
      mark(f.derivativeFit.holds)
    } derivative fit${withCorrected}: ${fitLine} (limit ${t.fitTol}); ${e.passing.pass} of ${e.passing.of} entries pass rtol ${t.rtol}, atol ${t.atol} × entry range at every point.`,
  ];
  return {
    cause,
    causes,
    summary,
    action,
    evidence,
    findings: Object.values(f).filter((x): x is Finding => x !== undefined),
    tolerances: t,
    pointIndexBase: 1,
  };
}

/** The verdict as printed: cause, sentence, action, the other causes, the evidence. */
export function formatVerdict(v: Verdict): string {
  const others = v.causes.filter((c) => c !== v.cause);
  return [
    `Verdict: ${v.cause}. ${v.summary}`,
    `Action: ${v.action}`,
    ...(others.length > 0 ? [`Also found: ${others.join(", ")}.`] : []),
    "Evidence (✓ passed, ✗ found, – not tested):",
    ...v.evidence.map((line) => `  ${line}`),
    "Point indices count from 1 (the first data row of the inputs CSV).",
  ].join("\n");
}

function mark(holds: boolean): string {
  return holds ? "✗" : "✓";
}

function describeSuspect(s: ScalingSuspect): string {
  return s.kind === "swap"
    ? `${s.variable} holds ${s.with}'s constants (file ${
      formatConstants(s.file)
    }; the model implies ${formatConstants(s.implied)})`
    : `${s.variable}: file ${formatConstants(s.file)}, the model implies ${
      formatConstants(s.implied)
    } (${pct(s.change)} of its range off)`;
}

function scalingSummary(e: VerdictEvidence): string {
  const a = e.scaling;
  const swaps = a.suspects.filter((s) => s.kind === "swap");
  const ranges = a.suspects.filter((s) => s.kind === "range");
  const parts: string[] = [];
  if (swaps.length > 0) {
    const side = swaps[0]!.side;
    parts.push(
      `the ${side} rows ${
        swaps.map((s) => s.variable).join(" and ")
      } of the scaling file are swapped${
        side === "output" && a.outputSwap.mode === "rows" ? " (whole rows)" : ""
      }`,
    );
  }
  if (ranges.length > 0) {
    parts.push(
      `${ranges.length === 1 ? "a row's" : `${ranges.length} rows'`} constants are off: ${
        ranges.map(describeSuspect).join("; ")
      }`,
    );
  }
  if (a.suspects.length > 0) {
    const msg = `The scaling constants are inconsistent with the model: ${
      parts.join(", and ")
    }; correcting ${
      a.suspects.length === 1 ? "it" : "them"
    } takes the value error (mean 1 − R²) from ${a.errorFile.toPrecision(3)} to ${
      a.errorCorrected.toPrecision(3)
    } (${pct(a.share)} of it explained).`;
    return msg;
  }
  const d = e.data!;
  const rows = d.columns.filter((c) => c.change > d.finding.threshold);
  return `The scaling file is not your training data's: ${
    rows.map((c) =>
      `${c.variable} file ${formatConstants(c.file)}, data ${formatConstants(c.data)} (${
        pct(c.change)
      } off)`
    ).join("; ")
  }; the model-based audit named no row.`;
}

function scalingEvidence(a: ScalingAudit): string {
  const tried = `tried ${a.outputSwap.tried} assignments of the output rows${
    a.inputSwap ? `, ${a.inputSwap.tried} swaps of input rows` : ""
  } and an affine correction of each row${a.fit === "joint" ? ", then of every row jointly" : ""}`;
  if (a.suspects.length > 0) {
    return `${a.suspects.map(describeSuspect).join("; ")}. Value error ${
      a.errorFile.toPrecision(3)
    } → ${a.errorCorrected.toPrecision(3)} with the corrected rows (${tried}).`;
  }
  const top = a.rows.reduce((x, y) => (y.share > x.share ? y : x));
  return `no row swap or correction removes a decisive share of the value error (best: ${top.variable} alone, ${
    pct(Math.max(0, top.share))
  }, where a correction must remove ≥ 50 % with the values then fitting, or ≥ 90 %); ${tried}.`;
}

function dataEvidence(d: DataAudit): string {
  const differing = d.columns.filter((c) => c.change > d.finding.threshold);
  const rows = differing.length === 0
    ? `every row's constants are the data's (largest difference ${pct(d.finding.value)} of a range)`
    : differing.map((c) =>
      `${c.variable}: file ${formatConstants(c.file)}, data ${formatConstants(c.data)}`
    ).join("; ");
  const outside = `${pct(d.outsideShare)} of the evaluated points lie outside the data's input box${
    d.outsidePoints.length > 0 ? ` (points ${d.outsidePoints.slice(0, 5).join(", ")}…)` : ""
  }`;
  return `${rows}; ${outside}.`;
}

function hypothesisPhrase(u: UserJacobianAudit): string {
  const err = (h: keyof UserJacobianAudit["errors"]) => sci(u.errors[h] ?? NaN);
  switch (u.hypothesis) {
    case "correct":
      return `equals the model's correctly de-normalized Jacobian to ${
        err("correct")
      } of a row's scale (limit ${u.tolerance})`;
    case "factor":
      return `it is ${Number(u.factor.toPrecision(4))} × the model's Jacobian (to ${
        err("factor")
      } of a row's scale)`;
    case "none":
      return `it matches none of the tested formulas (correct ${err("correct")}, inverse ${
        err("inverse")
      }, normalized ${err("normalized")}, transposed ${err("transposed")})`;
    default:
      return `it is the model's Jacobian with the "${u.hypothesis}" mistake (matches to ${
        err(u.hypothesis)
      } of a row's scale)`;
  }
}

function structurePhrase(s: StructureAudit): string {
  if (!s.layerNorm) return "no LayerNorm over all the inputs at the first layer, nothing to probe";
  const probes = s.probes.map((p) =>
    `a common ${p.direction} moves the model by ${sci(p.ratio)} of the reference's response`
  ).join(", ");
  return `first-layer LayerNorm ${s.layerNorm.node} over ${s.layerNorm.k} inputs: ${probes} (invariant below ${s.finding.threshold})`;
}
