/**
 * The user's own Jacobian (`--jacobian`), in the report's layout, tested
 * against the model's correctly scaled Jacobian under named hypotheses: the
 * right formula, or one of the usual de-normalization mistakes, or a constant
 * factor (a differentiation bug, e.g. a custom backward), or none of these.
 *
 * @module
 */
import { compareJacobians, type JacobianComparison } from "../compare/jacobians.ts";
import type { NumericTable } from "../io/table.ts";
import { jacobianColumnName, type Jacobians } from "../jacobian/types.ts";
import type { Scaling } from "../scaling/scaler.ts";
import { type Finding, finding } from "./finding.ts";

/** The hypotheses, in the order they are tried. */
export const USER_JACOBIAN_HYPOTHESES = [
  "correct",
  "inverse",
  "normalized",
  "output-only",
  "input-only",
  "transposed",
  "factor",
] as const;

/** What the user's Jacobian was found to be. */
export type UserJacobianHypothesis = (typeof USER_JACOBIAN_HYPOTHESES)[number] | "none";

/**
 * Largest row-normalized difference (max |user − hypothesis| / the row's
 * largest |entry|) for a hypothesis to match: PyTorch's and this toolkit's
 * float32 Jacobians agree to ~1e-5 of a row's scale (FastKAN, the steepest
 * bundled model), and the hypotheses differ by factors of the ranges.
 */
export const USER_JACOBIAN_TOLERANCE = 1e-3;

/** A Jacobian CSV as the user wrote it. */
export interface UserJacobian {
  readonly source: string;
  /** Points `[N, n]`, physical units, model input order. */
  readonly x: Float64Array;
  /** The user's `d<out>_d<in>` columns as Jacobians `[N, m, n]`. */
  readonly jacobian: Jacobians;
  /** The user's `d<out>_d<in>_true` columns, when present. */
  readonly reference?: Jacobians;
}

/**
 * Reads the user's Jacobian table: the input columns, `d<out>_d<in>` for every
 * pair, optionally `d<out>_d<in>_true` for every pair (in any column order).
 *
 * @throws {TypeError} If an input or a `d<out>_d<in>` column is missing, or only
 *   some `_true` columns are present (naming the file and the first missing column).
 */
export function readUserJacobian(
  table: NumericTable,
  inputs: readonly string[],
  outputs: readonly string[],
  source: string,
): UserJacobian {
  const width = table.columns.length;
  const index = (name: string) => table.columns.indexOf(name);
  const need = (names: string[], what: string) => {
    const missing = names.filter((c) => index(c) < 0);
    if (missing.length > 0) {
      throw new TypeError(
        `Cannot read ${source}: no ${what} column ${missing[0]} (the header has ${
          table.columns.slice(0, 8).join(", ")
        }${width > 8 ? ", …" : ""})`,
      );
    }
  };
  need([...inputs], "input");
  const pairs = outputs.flatMap((o) => inputs.map((i) => jacobianColumnName(o, i)));
  need(pairs, "Jacobian");
  const N = table.rows;
  const n = inputs.length;
  const x = new Float64Array(N * n);
  inputs.forEach((name, j) => {
    const c = index(name);
    for (let k = 0; k < N; k++) x[k * n + j] = table.data[k * width + c]!;
  });
  const read = (suffix: string) => {
    const values = new Float64Array(N * pairs.length);
    pairs.forEach((name, e) => {
      const c = index(name + suffix);
      for (let k = 0; k < N; k++) values[k * pairs.length + e] = table.data[k * width + c]!;
    });
    return { points: N, outputs: [...outputs], inputs: [...inputs], values };
  };
  const trues = pairs.filter((p) => index(`${p}_true`) >= 0).length;
  if (trues > 0 && trues < pairs.length) need(pairs.map((p) => `${p}_true`), "reference");
  return {
    source,
    x,
    jacobian: read(""),
    ...(trues > 0 ? { reference: read("_true") } : {}),
  };
}

/** Everything {@linkcode auditUserJacobian} measured. */
export interface UserJacobianAudit {
  readonly source: string;
  readonly points: number;
  /** The first hypothesis (in {@linkcode USER_JACOBIAN_HYPOTHESES} order) within tolerance, or `"none"`. */
  readonly hypothesis: UserJacobianHypothesis;
  /** The least-squares constant `c` of user ≈ c · model (always measured; the hypothesis when `"factor"`). */
  readonly factor: number;
  /** Row-normalized difference from each hypothesis (`transposed` only when m = n). */
  readonly errors: Readonly<Partial<Record<UserJacobianHypothesis, number>>>;
  readonly tolerance: number;
  /** What the user computed and the corrected formula, in words. */
  readonly formula: string;
  /** The user's `_true` columns against the analytic reference at the same points, row-normalized. */
  readonly referenceError?: number;
  /** The user's Jacobian against the model's, entry by entry (the report's heatmap). */
  readonly comparison: JacobianComparison;
  readonly finding: Finding<"user-jacobian">;
}

/**
 * Tests the user's Jacobian against the model's under each hypothesis. With
 * `J` the model's Jacobian in physical units, `s_x = dx̂/dx`, `s_y = dŷ/dy`
 * (`1/range` for min-max to [0, 1]) and `Ĵ = J · s_y / s_x` the normalized one:
 * correct `J`; inverse `Ĵ · s_y / s_x` (× range_in/range_out); normalized `Ĵ`;
 * output-only `Ĵ / s_y`; input-only `Ĵ · s_x`; transposed `Jᵀ` per point;
 * factor `c · J` with `c` fitted.
 *
 * @param user The user's Jacobian.
 * @param model The model's Jacobian at the user's points (physical units).
 * @param scaling The scaling the user de-normalized with.
 * @param referenceJacobian The analytic reference at the user's points, to check `_true` columns.
 */
export function auditUserJacobian(
  user: UserJacobian,
  model: Jacobians,
  scaling: Scaling,
  referenceJacobian?: Jacobians,
  tolerance = USER_JACOBIAN_TOLERANCE,
): UserJacobianAudit {
  const { points: N, outputs, inputs } = model;
  const m = outputs.length;
  const n = inputs.length;
  const sx = scaling.inputs.map((s) => s.scale);
  const sy = scaling.outputs.map((s) => s.scale);
  const J = model.values;
  const make = (f: (k: number, i: number, j: number) => number): Jacobians => {
    const values = new Float64Array(N * m * n);
    for (let k = 0; k < N; k++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) values[(k * m + i) * n + j] = f(k, i, j);
      }
    }
    return { points: N, outputs: [...outputs], inputs: [...inputs], values };
  };
  const at = (k: number, i: number, j: number) => J[(k * m + i) * n + j]!;
  let num = 0;
  let den = 0;
  for (let e = 0; e < J.length; e++) {
    num += user.jacobian.values[e]! * J[e]!;
    den += J[e]! * J[e]!;
  }
  const factor = den > 0 ? num / den : NaN;
  const candidates: [UserJacobianHypothesis, Jacobians][] = [
    ["correct", model],
    ["inverse", make((k, i, j) => at(k, i, j) * (sy[i]! / sx[j]!) ** 2)],
    ["normalized", make((k, i, j) => at(k, i, j) * sy[i]! / sx[j]!)],
    ["output-only", make((k, i, j) => at(k, i, j) / sx[j]!)],
    ["input-only", make((k, i, j) => at(k, i, j) * sy[i]!)],
  ];
  if (m === n) candidates.push(["transposed", make((k, i, j) => at(k, j, i))]);
  if (Number.isFinite(factor)) candidates.push(["factor", make((k, i, j) => factor * at(k, i, j))]);
  const comparison = compareJacobians(user.jacobian, model);
  const errors: Partial<Record<UserJacobianHypothesis, number>> = {};
  for (const [name, h] of candidates) {
    errors[name] = (h === model ? comparison : compareJacobians(user.jacobian, h))
      .worstRowNormalized.value;
  }
  let hypothesis: UserJacobianHypothesis = "none";
  for (const [name] of candidates) {
    if (errors[name]! <= tolerance) {
      hypothesis = name;
      break;
    }
  }
  if (hypothesis === "factor" && Math.abs(factor - 1) <= tolerance) hypothesis = "correct";
  const referenceError = user.reference && referenceJacobian
    ? compareJacobians(user.reference, referenceJacobian).worstRowNormalized.value
    : undefined;
  const closest = candidates.map(([name]) => name).reduce((a, b) =>
    (errors[b] ?? Infinity) < (errors[a] ?? Infinity) ? b : a
  );
  return {
    source: user.source,
    points: N,
    hypothesis,
    factor,
    errors,
    tolerance,
    formula: describe(hypothesis, factor, scaling, closest, errors[closest] ?? NaN),
    comparison,
    ...(referenceError !== undefined ? { referenceError } : {}),
    finding: finding(
      "user-jacobian",
      hypothesis !== "correct",
      errors.correct ?? NaN,
      tolerance,
      {
        measure:
          "largest |yours − the model's| over the points, as a fraction of each output row's largest |∂f/∂x|",
        absent: `≤ ${tolerance} (your Jacobian equals the model's to float32 precision)`,
        hypothesis,
        ...(hypothesis === "factor" ? { factor } : {}),
      },
    ),
  };
}

function describe(
  h: UserJacobianHypothesis,
  factor: number,
  scaling: Scaling,
  closest: UserJacobianHypothesis,
  closestError: number,
): string {
  const minMax = [...scaling.inputs, ...scaling.outputs].every((s) =>
    s.kind === "minmax" && s.a === 0 && s.b === 1
  );
  const out = minMax ? "range(f_i)" : "dy_i/dŷ_i";
  const inp = minMax ? "range(x_j)" : "dx_j/dx̂_j";
  const right = `∂f_i/∂x_j = ∂f̂_i/∂x̂_j · ${out} / ${inp}`;
  const code = minMax ? " (in the report's loop: jacobians[m, n] / range_x[n] * range_f[m])" : "";
  switch (h) {
    case "correct":
      return `Your Jacobian is the model's: ${right}.`;
    case "inverse":
      return `You multiplied by ${inp} / ${out}, the inverse of the right factors; use ${right}${code}.`;
    case "normalized":
      return `Your Jacobian is still in normalized units (∂f̂_i/∂x̂_j); de-normalize it: ${right}${code}.`;
    case "output-only":
      return `You applied the output factor ${out} but not the input factor: also divide column j by ${inp}; ${right}.`;
    case "input-only":
      return `You divided by ${inp} but did not multiply by ${out}: ${right}.`;
    case "transposed":
      return "Your df_i_dx_j holds ∂f_j/∂x_i: the matrix is transposed (torch.autograd.functional.jacobian returns [outputs, inputs]; write J[i, j] under df{i+1}_dx{j+1}).";
    case "factor":
      return `Every entry is ${
        Number(factor.toPrecision(4))
      } × the model's. No scaling mistake gives one factor for every entry (the ranges differ per row and column): the differentiation that produced it is off, e.g. a custom autograd backward that scales the gradient. Divide by ${
        Number(factor.toPrecision(4))
      } or fix the backward.`;
    case "none":
      return `None of the tested formulas matches (closest: ${closest}, off by ${
        closestError.toExponential(1)
      } of a row's scale): your Jacobian is of another model, at other points, or differently wrong.`;
  }
}
