/**
 * The scaling audit: are the scaling file's constants the ones the model was
 * trained with? Tested against the reference's values through the fixed model,
 * which the chain-rule comparison cannot do (it uses the file's constants on
 * both sides, so it agrees whatever they are).
 *
 * - Outputs: a swap of rows is looked for by trying every assignment of the
 *   file's rows to the model's outputs (m ≤ 8; pairwise swaps beyond), either
 *   with the numbers alone swapped (names in place) or whole rows (names too).
 * - Inputs: every pairwise swap of the file's input numbers.
 * - Then one Levenberg–Marquardt fit of an affine correction of every row
 *   (`x̂'_j = s_j·x̂_j + o_j` for inputs, `ŷ'_i = a_i + b_i·ŷ_i` for outputs,
 *   `2n + 2m` parameters) to the reference values through the fixed model,
 *   starting from the file's constants; the fit gives each row's implied
 *   constants.
 *
 * Value error throughout is the mean over outputs of `1 − R²` (each output's
 * squared error over its reference's variance), so every output weighs the
 * same whatever its units. A swap or a row is flagged only when correcting it
 * removes a decisive share of that error and the constants it implies are
 * materially different from the file's.
 *
 * @module
 */
import { lusolve } from "mathjs";
import type { Scaling, VariableScaler } from "../scaling/scaler.ts";
import {
  constantsChange,
  constantsFromAffine,
  constantsOf,
  renamedScaler,
  type ScalerConstants,
  scalerFromAffine,
} from "./constants.ts";
import { type Finding, finding } from "./finding.ts";
import type { NormalizedModel } from "./normalized_model.ts";

/** Thresholds of the scaling audit. */
export const SCALING_AUDIT_DEFAULTS = {
  /**
   * Share of the value error (mean over outputs of 1 − R²) a correction must
   * remove to be decisive when the corrected values also fit (every output's
   * R² ≥ `r2Min`).
   */
  share: 0.5,
  /**
   * Share of the value error a correction must remove to be decisive on its
   * own, however poor the corrected fit: below it, a poorly fitting model's own
   * error cannot be told from a wrong constant.
   */
  decisiveShare: 0.9,
  /** R² every output must reach with the corrected constants for `share` to suffice. */
  r2Min: 0.99,
  /**
   * Smallest change of a row's constants, as a fraction of the file's range (or
   * std), that is reported: a fitted model's own error moves the implied
   * constants by up to ~4% of the range (efficient-KAN, x3), well below a
   * decisive share.
   */
  materiality: 0.02,
  /** Levenberg–Marquardt iterations (each one batched Jacobian of the model at the points). */
  iterations: 12,
  /** Largest `m` for which every assignment of output rows is tried (`m!`); pairwise swaps beyond. */
  maxPermutationWidth: 8,
  /** Largest `n` for which every pairwise swap of input rows is tried (`n(n−1)/2` copies of the points). */
  maxSwapWidth: 16,
} as const;

/** Options of {@linkcode auditScaling}; see {@linkcode SCALING_AUDIT_DEFAULTS}. */
export interface ScalingAuditOptions {
  /** @default {0.5} */
  share?: number;
  /** @default {0.9} */
  decisiveShare?: number;
  /** @default {0.99} */
  r2Min?: number;
  /** @default {0.02} */
  materiality?: number;
  /** @default {12} */
  iterations?: number;
  /**
   * The model's normalized Jacobian `[N, m, n]` at the file's normalized
   * points, when already computed (saves the first finite differences).
   * @default {undefined}
   */
  initialJacobian?: Float64Array;
}

/** One scaling row with the constants the model implies for it. */
export interface AuditedRow {
  /** Variable name (the file's). */
  readonly variable: string;
  readonly side: "input" | "output";
  /** 1-based position among the file's inputs or outputs. */
  readonly position: number;
  /** The file's constants. */
  readonly file: ScalerConstants;
  /**
   * The constants that fit the reference best through the model: this row's
   * correction alone (the others as in the file, after any decisive swap), or
   * the joint correction of every row when the audit needed it (`fit: "joint"`).
   */
  readonly implied: ScalerConstants;
  /** {@linkcode constantsChange} from file to implied. */
  readonly change: number;
  /**
   * Share of the value error this row's correction removes: alone (`1 − error
   * with it / error without`), or in the joint fit, given the others corrected
   * (`1 − joint error / error with this row reset to the file's constants`).
   */
  readonly share: number;
}

/** A scaling row the audit names. */
export interface ScalingSuspect {
  readonly variable: string;
  readonly side: "input" | "output";
  /** `"swap"`: the row holds another row's constants; `"range"`: its constants are off. */
  readonly kind: "swap" | "range";
  readonly file: ScalerConstants;
  /** What the model implies (for a swap: the constants of the row it was swapped with). */
  readonly implied: ScalerConstants;
  /** For a swap, the variable whose row holds this one's constants. */
  readonly with?: string;
  /** {@linkcode constantsChange} from file to implied. */
  readonly change: number;
}

/** The result of one swap search. */
export interface SwapSearch {
  readonly side: "input" | "output";
  /** Number of assignments evaluated. */
  readonly tried: number;
  /** `"values"`: numbers swapped, names in place; `"rows"`: whole rows (names too). */
  readonly mode: "values" | "rows";
  /** The best assignment: `assignment[slot]` is the 0-based file row it takes. */
  readonly assignment: readonly number[];
  /** Value error before and with the best assignment. */
  readonly errorBefore: number;
  readonly errorAfter: number;
  /** The best assignment is not the file's and its correction is decisive. */
  readonly decisive: boolean;
}

/** Everything {@linkcode auditScaling} measured. */
export interface ScalingAudit {
  /** Value error with the file's constants (mean over outputs of 1 − R²). */
  readonly errorFile: number;
  /** After the decisive swaps, before any range correction. */
  readonly errorSwapped: number;
  /** With the corrected scaling (swaps and named rows only). */
  readonly errorCorrected: number;
  /** `1 − errorCorrected / errorFile` (0 when nothing is named). */
  readonly share: number;
  /** How the range corrections were fitted: each row alone, or every row jointly (after no single row sufficed). */
  readonly fit: "row" | "joint";
  readonly outputSwap: SwapSearch;
  /** Absent when `n` = 1 or `n` > {@linkcode SCALING_AUDIT_DEFAULTS.maxSwapWidth}. */
  readonly inputSwap?: SwapSearch;
  /** Inputs, then outputs (in the file's order). */
  readonly rows: readonly AuditedRow[];
  readonly suspects: readonly ScalingSuspect[];
  /** The file's scaling with the swaps and named rows corrected (the file's own when none). */
  readonly corrected: Scaling;
  /** Per output of `corrected` (its order), R² of the values with the corrected scaling. */
  readonly correctedR2: readonly number[];
  /** Levenberg–Marquardt iterations run (batched over the rows fitted alone, then the joint fit). */
  readonly iterations: number;
  /** Whether the audit ran (it needs {@linkcode minimumAuditPoints} points); `rows` is empty when not. */
  readonly tested: boolean;
  readonly outputFinding: Finding<"output-scaling">;
  readonly inputFinding: Finding<"input-scaling">;
}

/**
 * Audits a scaling file against reference values through the fixed model.
 *
 * Order: output swaps, input swaps, then each row's affine correction alone
 * (outputs in closed form, inputs by Levenberg–Marquardt), and, when no single
 * row is decisive, one joint correction of every row (z-score constants read as
 * min/max make every row wrong at once). A correction is decisive when it
 * removes ≥ `decisiveShare` of the value error, or ≥ `share` and the corrected
 * values fit (every R² ≥ `r2Min`); a row is named when its correction is
 * decisive and its constants change by ≥ `materiality`.
 *
 * @param model The model in normalized units, `n` inputs, `m` outputs.
 * @param scaling The file's scaling (inputs `n`, outputs `m`, model order).
 * @param x Points `[N, n]`, physical units.
 * @param reference Reference values `[N, m]`, physical units; column `i` is the
 *   reference output named like the file's output row `i`.
 * @param options Thresholds.
 * @throws {TypeError} If the sizes do not match.
 */
export async function auditScaling(
  model: NormalizedModel,
  scaling: Scaling,
  x: Float64Array,
  reference: Float64Array,
  options: ScalingAuditOptions = {},
): Promise<ScalingAudit> {
  const o = { ...SCALING_AUDIT_DEFAULTS, ...options };
  const n = scaling.inputs.length;
  const m = scaling.outputs.length;
  if (model.inputWidth !== n || model.outputWidth !== m) {
    throw new TypeError(
      `Cannot audit the scaling: the model maps ${model.inputWidth} inputs to ${model.outputWidth} outputs, the scaling has ${n} and ${m}`,
    );
  }
  const N = x.length / n;
  if (!Number.isInteger(N) || reference.length !== N * m) {
    throw new TypeError(
      `Cannot audit the scaling: ${x.length} input values and ${reference.length} reference values do not make [N, ${n}] and [N, ${m}]`,
    );
  }
  if (N < minimumAuditPoints(n, m)) return untestedAudit(scaling, N, minimumAuditPoints(n, m));
  const fileIn = scaling.inputs;
  const fileOut = scaling.outputs;
  // Targets in each output row's file-normalized units.
  const t = new Float64Array(N * m);
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < m; j++) {
      t[k * m + j] = fileOut[j]!.scale * reference[k * m + j]! + fileOut[j]!.offset;
    }
  }
  const ctx: FitContext = { model, N, n, m, t, sst: columnSpread(t, N, m) };
  const decisive = (before: number, after: number, perOutput: readonly number[]) => {
    const share = before > 0 ? 1 - after / before : 0;
    const worstR2 = Math.min(...perOutput.map((e) => 1 - e));
    return share >= o.decisiveShare || (share >= o.share && worstR2 >= o.r2Min);
  };

  const yn0 = await model.forward(normalizeWith(fileIn, x, N), N);
  const identityMap = fileOut.map((_, i): OutputMap => ({ c: 0, d: 1, target: i, numbers: i }));
  const fileErrors = outputErrors(ctx, identityMap, yn0, 0);
  const errorFile = mean(fileErrors);

  // --- Swaps. Output rows: every assignment of file rows to output slots. Input rows:
  // every pair's numbers exchanged. Either can make the other look decisive (wrong
  // inputs make every output wrong), so both are searched from the file, the outputs
  // again at the best input swap, and a swap is kept only if it is decisive on top of
  // the other.
  const outAtFile = searchOutputSwap(ctx, yn0, fileOut, o.maxPermutationWidth, decisive);
  let outputSwap: SwapSearch = outAtFile;
  let inputSwap: SwapSearch | undefined;
  let inRows = fileIn.map((_, j) => j);
  let ynBase = yn0;
  let swapped = { in: false, out: false };
  if (n > 1 && n <= o.maxSwapWidth) {
    const pairs: [number, number][] = [];
    for (let j = 0; j < n; j++) for (let l = j + 1; l < n; l++) pairs.push([j, l]);
    const swapOf = ([j, l]: [number, number]) =>
      fileIn.map((_, c) => (c === j ? l : c === l ? j : c));
    const batch = new Float64Array(pairs.length * N * n);
    pairs.forEach((pair, p) => {
      batch.set(normalizeWith(swapOf(pair).map((r) => fileIn[r]!), x, N), p * N * n);
    });
    const yb = await model.forward(batch, pairs.length * N);
    let best = 0;
    let bestErrors = outputErrors(ctx, identityMap, yb, 0);
    pairs.forEach((_, p) => {
      const e = outputErrors(ctx, identityMap, yb, p * N * m);
      if (mean(e) < mean(bestErrors)) [best, bestErrors] = [p, e];
    });
    const ynPair = yb.slice(best * N * m, (best + 1) * N * m);
    const outAtPair = searchOutputSwap(ctx, ynPair, fileOut, o.maxPermutationWidth, decisive);
    const errorsOf = (s: SwapSearch & { perOutput: readonly number[] }) =>
      s.assignment.every((j, i) => j === i) ? undefined : s.perOutput;
    // The four combinations and their per-output errors.
    const eOut = errorsOf(outAtFile);
    const eBoth = errorsOf(outAtPair);
    const inAlone = decisive(errorFile, mean(bestErrors), bestErrors);
    const outAlone = eOut !== undefined && decisive(errorFile, mean(eOut), eOut);
    const both = eBoth !== undefined &&
      decisive(mean(bestErrors), mean(eBoth), eBoth) &&
      (eOut === undefined || decisive(mean(eOut), mean(eBoth), eBoth)) &&
      decisive(errorFile, mean(eBoth), eBoth);
    if (both) swapped = { in: true, out: true };
    else if (inAlone && (!outAlone || mean(bestErrors) <= mean(eOut!))) {
      swapped = { in: true, out: false };
    } else if (outAlone) swapped = { in: false, out: true };
    inputSwap = {
      side: "input",
      tried: pairs.length,
      mode: "values",
      assignment: swapOf(pairs[best]!),
      errorBefore: errorFile,
      errorAfter: mean(bestErrors),
      decisive: swapped.in,
    };
    if (swapped.in) {
      inRows = inputSwap.assignment.slice();
      ynBase = ynPair;
      outputSwap = { ...stripErrors(outAtPair), decisive: swapped.out };
    } else {
      outputSwap = { ...stripErrors(outAtFile), decisive: swapped.out };
    }
  } else {
    outputSwap = stripErrors(outAtFile);
  }
  const outMap = outputSwap.decisive ? outputMaps(outputSwap, fileOut) : identityMap;
  const baseIn = inRows.map((r) => fileIn[r]!);
  const u = normalizeWith(baseIn, x, N);
  const baseErrors = outputErrors(ctx, outMap, ynBase, 0);
  const errorSwapped = mean(baseErrors);

  // --- Each row's correction alone: inputs by LM (batched), outputs in closed form.
  const identity = identityParams(n, m);
  // The given Jacobian is at the file's points: usable only if no input swap moved them.
  const jacobianAtU = swapped.in ? undefined : options.initialJacobian;
  const solo = await fitVariants(
    ctx,
    u,
    ynBase,
    outMap,
    fileIn.map((_, j) => ({ inputs: [j], outputs: [] })),
    o.iterations,
    jacobianAtU,
  );
  let iterations = solo.iterations;
  const soloParams: Float64Array[] = solo.results.map((r) => r.params);
  const soloErrors: number[][] = solo.results.map((r) => r.errors);
  outMap.forEach((om, i) => {
    const { a, b } = leastSquaresAffine(ctx, om, ynBase, i);
    const params = identity.slice();
    params[2 * n + i] = a;
    params[2 * n + m + i] = b;
    soloParams.push(params);
    soloErrors.push(outputErrors(ctx, outMap, ynBase, 0, params));
  });
  const rowsFrom = (params: readonly Float64Array[], shares: readonly number[]) =>
    [...fileIn.map((_, j) => j), ...outMap.map((_, i) => n + i)].map((r, idx): AuditedRow => {
      const implied = impliedScaler(r, params[idx]!, n, m, fileIn, fileOut, baseIn, outMap);
      const like = r < n ? fileIn[r]! : fileOut[outMap[r - n]!.target]!;
      const file = constantsOf(like);
      const c = constantsFromAffine(like, implied.scale, implied.offset);
      return {
        variable: like.name,
        side: r < n ? "input" : "output",
        position: r < n ? r + 1 : outMap[r - n]!.target + 1,
        file,
        implied: c,
        change: constantsChange(file, c),
        share: shares[idx]!,
      };
    });
  const soloShares = soloErrors.map((e) => errorSwapped > 0 ? 1 - mean(e) / errorSwapped : 0);
  let rows = rowsFrom(soloParams, soloShares);
  let fit: "row" | "joint" = "row";
  const flagged = new Map<number, Float64Array>();
  let best = -1;
  soloShares.forEach((s, idx) => {
    if (best < 0 || s > soloShares[best]!) best = idx;
  });
  if (
    best >= 0 && rows[best]!.change >= o.materiality &&
    decisive(errorSwapped, mean(soloErrors[best]!), soloErrors[best]!)
  ) {
    flagged.set(best, soloParams[best]!);
  } else if (sumOf(soloShares.map((v) => Math.max(0, v))) >= o.share) {
    // --- No single row suffices, but together they might: every row jointly,
    // from the rows' own corrections combined (or the file's, if that is better).
    const combined = identity.slice();
    fileIn.forEach((_, j) => {
      combined[j] = soloParams[j]![j]!;
      combined[n + j] = soloParams[j]![n + j]!;
    });
    outMap.forEach((_, i) => {
      combined[2 * n + i] = soloParams[n + i]![2 * n + i]!;
      combined[2 * n + m + i] = soloParams[n + i]![2 * n + m + i]!;
    });
    const all = [{ inputs: fileIn.map((_, j) => j), outputs: outMap.map((_, i) => i) }];
    const joint = await fitVariants(ctx, u, ynBase, outMap, all, o.iterations, jacobianAtU, [
      combined,
    ]);
    iterations += joint.iterations;
    const { params, errors } = joint.results[0]!;
    if (decisive(errorSwapped, mean(errors), errors)) {
      fit = "joint";
      // Each row's share: of the error with it reset to the file's constants (the
      // others corrected), the part its correction removes.
      const reset = new Float64Array(n * N * n);
      for (let j = 0; j < n; j++) {
        const p = params.slice();
        p[j] = 1;
        p[n + j] = 0;
        reset.set(applyInputAffine(u, p, N, n), j * N * n);
      }
      const yr = await model.forward(reset, n * N);
      const ynJoint = await model.forward(applyInputAffine(u, params, N, n), N);
      const gains = [
        ...fileIn.map((_, j) => mean(outputErrors(ctx, outMap, yr, j * N * m, params))),
        ...outMap.map((_, i) => {
          const p = params.slice();
          p[2 * n + i] = 0;
          p[2 * n + m + i] = 1;
          return mean(outputErrors(ctx, outMap, ynJoint, 0, p));
        }),
      ].map((e) => (e > 0 ? 1 - mean(errors) / e : 0));
      rows = rowsFrom(gains.map(() => params), gains);
      rows.forEach((row, idx) => {
        if (row.change >= o.materiality && row.share >= o.share) flagged.set(idx, params);
      });
    }
  }

  // --- The corrected scaling and the suspects.
  const suspects: ScalingSuspect[] = [];
  const inputs = fileIn.map((s, j): VariableScaler => {
    const swappedIn = inRows[j] !== j;
    const numbers = swappedIn ? renamedScaler(s, fileIn[inRows[j]!]!) : s;
    const p = flagged.get(j);
    const corrected = p
      ? scalerFromAffine(s, p[j]! * baseIn[j]!.scale, p[j]! * baseIn[j]!.offset + p[n + j]!)
      : numbers;
    if (swappedIn || p) {
      suspects.push(
        suspectOf(
          s,
          "input",
          corrected ?? numbers,
          swappedIn ? fileIn[inRows[j]!]!.name : undefined,
        ),
      );
    }
    return corrected ?? numbers;
  });
  const outputs = outMap.map((om, i): VariableScaler => {
    const swappedOut = outputSwap.decisive && outputSwap.assignment[i] !== i;
    const named = fileOut[om.target]!;
    const numbers = outputSwap.decisive && outputSwap.mode === "values"
      ? renamedScaler(named, fileOut[om.numbers]!)
      : named;
    const p = flagged.get(n + i);
    const corrected = p ? impliedScaler(n + i, p, n, m, fileIn, fileOut, baseIn, outMap) : numbers;
    // A swapped slot is reported under the file's row at that position, which it replaces.
    if (swappedOut) {
      suspects.push(suspectOf(fileOut[i]!, "output", corrected, fileOut[om.numbers]!.name));
    } else if (p) suspects.push(suspectOf(named, "output", corrected, undefined));
    return corrected;
  });
  const corrected: Scaling = { inputs, outputs };

  // --- The value error with the corrected scaling.
  let correctedErrors = fileErrors;
  if (suspects.length > 0) {
    const ync = await model.forward(normalizeWith(inputs, x, N), N);
    correctedErrors = outputs.map((s, i) => {
      const col = fileOut.findIndex((f) => f.name === s.name);
      const to = fileOut[col >= 0 ? col : i]!;
      const pred = (k: number) => to.scale * ((ync[k * m + i]! - s.offset) / s.scale) + to.offset;
      return columnError(ctx, pred, col >= 0 ? col : i);
    });
  }
  const errorCorrected = mean(correctedErrors);
  const share = suspects.length > 0 && errorFile > 0 ? 1 - errorCorrected / errorFile : 0;
  const names = (side: "input" | "output") =>
    suspects.filter((s) => s.side === side).map((s) => s.variable);
  const common = {
    measure:
      "share of the value error (mean over outputs of 1 − R²) removed by correcting the named rows",
    absent:
      "no swap or affine correction of the rows removes a decisive share of the value error with materially different constants",
    errorFile,
    errorCorrected,
  };
  return {
    tested: true,
    errorFile,
    errorSwapped,
    errorCorrected,
    share,
    fit,
    outputSwap,
    ...(inputSwap ? { inputSwap } : {}),
    rows,
    suspects,
    corrected,
    correctedR2: correctedErrors.map((e) => 1 - e),
    iterations,
    outputFinding: finding("output-scaling", names("output").length > 0, share, o.share, {
      ...common,
      rows: names("output"),
    }),
    inputFinding: finding("input-scaling", names("input").length > 0, share, o.share, {
      ...common,
      rows: names("input"),
    }),
  };
}

/**
 * Fewest points the audit fits `2n + 2m` constants with: twice as many values
 * (`N·m`) as constants, and at least 8 points.
 */
export function minimumAuditPoints(n: number, m: number): number {
  return Math.max(8, Math.ceil((4 * (n + m)) / m));
}

/** The audit of too few points: nothing tested, nothing named. */
function untestedAudit(scaling: Scaling, N: number, needed: number): ScalingAudit {
  const detail = {
    tested: false,
    absent: `not tested: ${N} points, the audit needs at least ${needed}`,
    rows: [],
  };
  const none: SwapSearch = {
    side: "output",
    tried: 0,
    mode: "values",
    assignment: scaling.outputs.map((_, i) => i),
    errorBefore: NaN,
    errorAfter: NaN,
    decisive: false,
  };
  return {
    tested: false,
    errorFile: NaN,
    errorSwapped: NaN,
    errorCorrected: NaN,
    share: 0,
    fit: "row",
    outputSwap: none,
    rows: [],
    suspects: [],
    corrected: scaling,
    correctedR2: scaling.outputs.map(() => NaN),
    iterations: 0,
    outputFinding: finding("output-scaling", false, NaN, SCALING_AUDIT_DEFAULTS.share, detail),
    inputFinding: finding("input-scaling", false, NaN, SCALING_AUDIT_DEFAULTS.share, detail),
  };
}

function suspectOf(
  file: VariableScaler,
  side: "input" | "output",
  corrected: VariableScaler,
  swappedWith: string | undefined,
): ScalingSuspect {
  const f = constantsOf(file);
  const implied = constantsFromAffine(file, corrected.scale, corrected.offset);
  return {
    variable: file.name,
    side,
    kind: swappedWith === undefined ? "range" : "swap",
    file: f,
    implied,
    ...(swappedWith === undefined ? {} : { with: swappedWith }),
    change: constantsChange(f, implied),
  };
}

/** What the fits share: the model, sizes, targets (file-normalized) and their spreads. */
interface FitContext {
  readonly model: NormalizedModel;
  readonly N: number;
  readonly n: number;
  readonly m: number;
  readonly t: Float64Array;
  readonly sst: Float64Array;
}

/** Per output slot: prediction `c + d·ŷ` in the units of file row `target`, and the row whose numbers it uses. */
interface OutputMap {
  readonly c: number;
  readonly d: number;
  readonly target: number;
  readonly numbers: number;
}

function outputMaps(swap: SwapSearch, fileOut: readonly VariableScaler[]): OutputMap[] {
  return fileOut.map((_, i) => {
    const j = swap.assignment[i]!;
    if (swap.mode === "rows") return { c: 0, d: 1, target: j, numbers: j };
    // Slot i keeps its name (target row i) but is denormalized with row j's numbers.
    const to = fileOut[i]!;
    const from = fileOut[j]!;
    const d = to.scale / from.scale;
    return { c: to.offset - d * from.offset, d, target: i, numbers: j };
  });
}

/** `[s (n), o (n), a (m), b (m)]` at the identity correction. */
function identityParams(n: number, m: number): Float64Array {
  const p = new Float64Array(2 * n + 2 * m);
  p.fill(1, 0, n);
  p.fill(1, 2 * n + m);
  return p;
}

/** The scaler of row `r` (inputs `0..n−1`, then output slots) under the correction `p`. */
function impliedScaler(
  r: number,
  p: Float64Array,
  n: number,
  m: number,
  fileIn: readonly VariableScaler[],
  fileOut: readonly VariableScaler[],
  baseIn: readonly VariableScaler[],
  outMap: readonly OutputMap[],
): VariableScaler {
  if (r < n) {
    const scale = p[r]! * baseIn[r]!.scale;
    const offset = p[r]! * baseIn[r]!.offset + p[n + r]!;
    return scalerFromAffine(fileIn[r]!, scale, offset) ??
      { ...fileIn[r]!, scale, offset };
  }
  const i = r - n;
  const om = outMap[i]!;
  const row = fileOut[om.target]!;
  const a = p[2 * n + i]!;
  const b = p[2 * n + m + i]!;
  // Physical prediction y = (a + b(c + d ŷ) − off)/scale, so ŷ = scale'·y + offset'.
  const scale = row.scale / (b * om.d);
  const offset = (row.offset - a - b * om.c) / (b * om.d);
  return scalerFromAffine(row, scale, offset) ?? { ...row, scale, offset };
}

/** `1 − R²` of one prediction column against target column `target`. */
function columnError(ctx: FitContext, pred: (k: number) => number, target: number): number {
  let s = 0;
  for (let k = 0; k < ctx.N; k++) s += (pred(k) - ctx.t[k * ctx.m + target]!) ** 2;
  return s / ctx.sst[target]!;
}

/** Per output slot, `1 − R²` of `a + b(c + d·ŷ)` (`p` gives `a`, `b`; identity without). */
function outputErrors(
  ctx: FitContext,
  outMap: readonly OutputMap[],
  yn: Float64Array,
  offset: number,
  p?: Float64Array,
): number[] {
  const { n, m } = ctx;
  return outMap.map((om, i) => {
    const a = p ? p[2 * n + i]! : 0;
    const b = p ? p[2 * n + m + i]! : 1;
    return columnError(ctx, (k) => a + b * (om.c + om.d * yn[offset + k * m + i]!), om.target);
  });
}

/** Least-squares `a + b·(c + d·ŷ_i)` against slot i's target. */
function leastSquaresAffine(ctx: FitContext, om: OutputMap, yn: Float64Array, i: number) {
  const { N, m, t } = ctx;
  let mp = 0;
  let mt = 0;
  for (let k = 0; k < N; k++) {
    mp += om.c + om.d * yn[k * m + i]!;
    mt += t[k * m + om.target]!;
  }
  mp /= N;
  mt /= N;
  let cov = 0;
  let v = 0;
  for (let k = 0; k < N; k++) {
    const dp = om.c + om.d * yn[k * m + i]! - mp;
    cov += dp * (t[k * m + om.target]! - mt);
    v += dp * dp;
  }
  const b = v > 0 ? cov / v : 1;
  return { a: mt - b * mp, b };
}

function searchOutputSwap(
  ctx: FitContext,
  yn: Float64Array,
  fileOut: readonly VariableScaler[],
  maxPermutationWidth: number,
  decisive: (before: number, after: number, perOutput: readonly number[]) => boolean,
): SwapSearch & { readonly perOutput: readonly number[] } {
  const m = fileOut.length;
  // values[i][j]: slot i denormalized with row j's numbers, against slot i's reference.
  // rows[i][j]: slot i takes row j whole, against row j's reference.
  const values: number[][] = [];
  const rows: number[][] = [];
  for (let i = 0; i < m; i++) {
    values.push([]);
    rows.push([]);
    for (let j = 0; j < m; j++) {
      const d = fileOut[i]!.scale / fileOut[j]!.scale;
      const c = fileOut[i]!.offset - d * fileOut[j]!.offset;
      values[i]!.push(columnError(ctx, (k) => c + d * yn[k * m + i]!, i));
      rows[i]!.push(columnError(ctx, (k) => yn[k * m + i]!, j));
    }
  }
  const candidates = m <= maxPermutationWidth ? permutations(m) : transpositions(m);
  let best = {
    mode: "values" as "values" | "rows",
    assignment: [...Array(m).keys()],
    cost: Infinity,
  };
  for (const [mode, cost] of [["values", values], ["rows", rows]] as const) {
    for (const p of candidates) {
      let total = 0;
      for (let i = 0; i < m; i++) total += cost[i]![p[i]!]!;
      if (total < best.cost) best = { mode, assignment: p, cost: total };
    }
  }
  const table = best.mode === "values" ? values : rows;
  const perOutput = best.assignment.map((j, i) => table[i]![j]!);
  const before = mean(values.map((r, i) => r[i]!));
  const isIdentity = best.assignment.every((j, i) => j === i);
  return {
    side: "output",
    tried: 2 * candidates.length,
    mode: best.mode,
    assignment: best.assignment,
    errorBefore: before,
    errorAfter: mean(perOutput),
    decisive: !isIdentity && decisive(before, mean(perOutput), perOutput),
    perOutput,
  };
}

/** A swap search without its per-output errors (what the audit reports). */
function stripErrors(s: SwapSearch & { readonly perOutput?: readonly number[] }): SwapSearch {
  const { perOutput: _, ...rest } = s;
  return rest;
}

/** Which rows a variant corrects. */
interface Variant {
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

/**
 * Levenberg–Marquardt fits of affine row corrections, one per variant, from
 * the identity, with the model evaluated for every variant in one batch per
 * iteration (values, and the Jacobian columns of the free inputs by forward differences).
 */
async function fitVariants(
  ctx: FitContext,
  u: Float64Array,
  ynBase: Float64Array,
  outMap: readonly OutputMap[],
  variants: readonly Variant[],
  maxIterations: number,
  jacobianAtU?: Float64Array,
  starts?: readonly Float64Array[],
): Promise<{ results: { params: Float64Array; errors: number[] }[]; iterations: number }> {
  const { model, N, n, m, t, sst } = ctx;
  const w = outMap.map((om) => 1 / Math.sqrt(sst[om.target]!));
  const states = variants.map((v) => ({
    free: [
      ...v.inputs,
      ...v.inputs.map((j) => n + j),
      ...v.outputs.map((i) => 2 * n + i),
      ...v
        .outputs.map((i) => 2 * n + m + i),
    ],
    params: identityParams(n, m),
    xn: u,
    yn: ynBase,
    cost: 0,
    lambda: 1e-3,
    system: undefined as { A: Float64Array; g: Float64Array } | undefined,
    done: false,
  }));
  const cost = (yn: Float64Array, p: Float64Array) => sumOf(outputErrors(ctx, outMap, yn, 0, p));
  for (const s of states) s.cost = cost(s.yn, s.params);
  if (starts) {
    // Move to a given start where it fits better than the identity.
    const batch = new Float64Array(starts.length * N * n);
    starts.forEach((p, v) => batch.set(applyInputAffine(u, p, N, n), v * N * n));
    const yb = await model.forward(batch, starts.length * N);
    starts.forEach((p, v) => {
      const s = states[v]!;
      const yn = yb.slice(v * N * m, (v + 1) * N * m);
      const c = cost(yn, p);
      if (c < s.cost) {
        [s.params, s.xn, s.yn, s.cost] = [
          p.slice(),
          batch.slice(v * N * n, (v + 1) * N * n),
          yn,
          c,
        ];
      }
    });
  }
  let iterations = 0;
  while (iterations < maxIterations && states.some((s) => !s.done)) {
    iterations++;
    // Jacobian columns of the free inputs, for the variants that need a new system.
    const need = states.filter((s) => !s.done && s.system === undefined);
    const columns = need.flatMap((s) => s.free.filter((q) => q < n).map((j) => ({ state: s, j })));
    // Forward differences from the state's own values: one extra forward per column.
    const shifted = new Float64Array(columns.length * N * n);
    columns.forEach(({ state, j }, c) => {
      const at = c * N * n;
      shifted.set(state.xn, at);
      for (let k = 0; k < N; k++) shifted[at + k * n + j] = state.xn[k * n + j]! + FD_STEP;
    });
    const ys = columns.length > 0
      ? await model.forward(shifted, columns.length * N)
      : new Float64Array(0);
    for (const s of need) {
      const P = s.free.length;
      const dyn = new Map<number, (k: number, i: number) => number>();
      if (s.xn === u && jacobianAtU) {
        for (const q of s.free) {
          if (q < n) dyn.set(q, (k, i) => jacobianAtU[(k * m + i) * n + q]!);
        }
      }
      columns.forEach(({ state, j }, c) => {
        if (state !== s) return;
        const plus = c * N * m;
        dyn.set(j, (k, i) => (ys[plus + k * m + i]! - s.yn[k * m + i]!) / FD_STEP);
      });
      const A = new Float64Array(P * P);
      const g = new Float64Array(P);
      const grad = new Float64Array(P);
      for (let k = 0; k < N; k++) {
        for (let i = 0; i < m; i++) {
          const om = outMap[i]!;
          const b = s.params[2 * n + m + i]!;
          const base = om.c + om.d * s.yn[k * m + i]!;
          const r = w[i]! * (s.params[2 * n + i]! + b * base - t[k * m + om.target]!);
          s.free.forEach((q, idx) => {
            if (q < n) grad[idx] = w[i]! * b * om.d * dyn.get(q)!(k, i) * u[k * n + q]!;
            else if (q < 2 * n) grad[idx] = w[i]! * b * om.d * dyn.get(q - n)!(k, i);
            else if (q === 2 * n + i) grad[idx] = w[i]!;
            else if (q === 2 * n + m + i) grad[idx] = w[i]! * base;
            else grad[idx] = 0;
          });
          for (let p = 0; p < P; p++) {
            const gp = grad[p]!;
            if (gp === 0) continue;
            g[p] = g[p]! + gp * r;
            for (let q = 0; q < P; q++) A[p * P + q] = A[p * P + q]! + gp * grad[q]!;
          }
        }
      }
      s.system = { A, g };
    }
    // One damped step per active variant, evaluated in one batch.
    const active = states.filter((s) => !s.done);
    const trials = active.map((s) => {
      const step = solveDamped(s.system!.A, s.system!.g, s.free.length, s.lambda);
      const params = s.params.slice();
      if (step) s.free.forEach((q, idx) => params[q] = params[q]! - step[idx]!);
      return { s, params, ok: step !== undefined };
    });
    const batch = new Float64Array(trials.length * N * n);
    trials.forEach((tr, v) => batch.set(applyInputAffine(u, tr.params, N, n), v * N * n));
    const yb = await model.forward(batch, trials.length * N);
    trials.forEach((tr, v) => {
      const { s } = tr;
      const yn = yb.slice(v * N * m, (v + 1) * N * m);
      const c = tr.ok ? cost(yn, tr.params) : Infinity;
      if (c < s.cost) {
        const improvement = (s.cost - c) / s.cost;
        s.params = tr.params;
        s.xn = batch.slice(v * N * n, (v + 1) * N * n);
        s.yn = yn;
        s.cost = c;
        s.lambda = Math.max(s.lambda / 3, 1e-9);
        s.system = undefined;
        if (improvement < CONVERGED) s.done = true;
      } else {
        s.lambda *= 4;
        if (s.lambda > 1e8) s.done = true;
      }
    });
  }
  return {
    results: states.map((s) => ({
      params: s.params,
      errors: outputErrors(ctx, outMap, s.yn, 0, s.params),
    })),
    iterations,
  };
}

/**
 * A fit stops when a step lowers its cost by less than this share: the implied
 * constants are then settled to well below the audit's materiality.
 */
const CONVERGED = 1e-4;

/**
 * Forward-difference step (normalized units) on the float64 model: the slope's
 * error, ~1e-5 of its curvature, only slows the Levenberg–Marquardt steps a
 * little (every step is accepted on the model's own values).
 */
const FD_STEP = 1e-5;

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Solves `(A + λ·diag(A) + tiny·I) δ = g`; `undefined` if singular. */
function solveDamped(A: Float64Array, g: Float64Array, P: number, lambda: number) {
  let trace = 0;
  for (let p = 0; p < P; p++) trace += A[p * P + p]!;
  const tiny = 1e-12 * (trace / P || 1);
  const rows: number[][] = [];
  for (let p = 0; p < P; p++) {
    const row: number[] = [];
    for (let q = 0; q < P; q++) {
      row.push(A[p * P + q]! + (p === q ? lambda * A[p * P + p]! + tiny : 0));
    }
    rows.push(row);
  }
  try {
    const solution = lusolve(rows, Array.from(g)) as number[][];
    const step = solution.map((r) => r[0]!);
    return step.every(Number.isFinite) ? step : undefined;
  } catch {
    return undefined;
  }
}

function applyInputAffine(u: Float64Array, p: Float64Array, N: number, n: number): Float64Array {
  const out = new Float64Array(N * n);
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < n; j++) out[k * n + j] = p[j]! * u[k * n + j]! + p[n + j]!;
  }
  return out;
}

/** `x̂ = scale·x + offset` column by column. */
function normalizeWith(scalers: readonly VariableScaler[], x: Float64Array, N: number) {
  const n = scalers.length;
  const out = new Float64Array(N * n);
  for (let k = 0; k < N; k++) {
    for (let j = 0; j < n; j++) {
      out[k * n + j] = scalers[j]!.scale * x[k * n + j]! + scalers[j]!.offset;
    }
  }
  return out;
}

/** Σ (v − mean)² per column; 1 where a column does not vary (errors are then absolute). */
function columnSpread(v: Float64Array, N: number, m: number): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let mean = 0;
    for (let k = 0; k < N; k++) mean += v[k * m + i]!;
    mean /= N;
    let s = 0;
    for (let k = 0; k < N; k++) s += (v[k * m + i]! - mean) ** 2;
    out[i] = s > 0 ? s : 1;
  }
  return out;
}

function sumOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function permutations(m: number): number[][] {
  const out: number[][] = [];
  const p = [...Array(m).keys()];
  const recurse = (start: number) => {
    if (start === m) {
      out.push([...p]);
      return;
    }
    for (let i = start; i < m; i++) {
      [p[start], p[i]] = [p[i]!, p[start]!];
      recurse(start + 1);
      [p[start], p[i]] = [p[i]!, p[start]!];
    }
  };
  recurse(0);
  return out;
}

function transpositions(m: number): number[][] {
  const out: number[][] = [[...Array(m).keys()]];
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const p = [...Array(m).keys()];
      [p[i], p[j]] = [j, i];
      out.push(p);
    }
  }
  return out;
}
