/**
 * The scaling file against the user's training data (`--data`): each
 * column's min/max (or mean/std for z-score rows) in the data next to the
 * file's, and the share of evaluated points outside the data's input box.
 *
 * @module
 */
import type { NumericTable } from "../io/table.ts";
import type { Scaling, VariableScaler } from "../scaling/scaler.ts";
import { constantsChange, constantsOf, type ScalerConstants } from "./constants.ts";
import { type Finding, finding } from "./finding.ts";

/**
 * Largest change between the file's constants and the data's, as a fraction of
 * the range (or std), that still counts as the same: min/max of a 70 % training
 * split differ from the whole set's by ~1/N of the range, ~3e-4 for the seed case.
 */
export const DATA_RANGE_TOLERANCE = 0.005;

/** One column of the data against its scaling row. */
export interface DataColumn {
  readonly variable: string;
  readonly side: "input" | "output";
  readonly file: ScalerConstants;
  /** The data's constants of the same kind (min/max, or mean and population std). */
  readonly data: ScalerConstants;
  /** {@linkcode constantsChange} from file to data. */
  readonly change: number;
}

/** Everything {@linkcode auditData} measured. */
export interface DataAudit {
  readonly source: string;
  readonly rows: number;
  /** The scaling rows found in the data (identity rows are skipped). */
  readonly columns: readonly DataColumn[];
  /** Share of evaluated points outside the data's input box, in [0, 1]. */
  readonly outsideShare: number;
  /** 1-based indices of the evaluated points outside the box (at most 20). */
  readonly outsidePoints: readonly number[];
  /** Output rows of the scaling file without a column in the data. */
  readonly missingOutputs: readonly string[];
  readonly finding: Finding<"data-range">;
}

/**
 * Compares the scaling file with the training data and the evaluated points with its box.
 *
 * @param data The training data, physical units, a column per variable (names as the scaling's).
 * @param scaling The file's scaling.
 * @param x Evaluated points `[N, n]`, physical units, the scaling's input order.
 * @param source The data file's name, for messages.
 * @throws {TypeError} If the data lack a column for an input, naming the file and the column.
 */
export function auditData(
  data: NumericTable,
  scaling: Scaling,
  x: Float64Array,
  source: string,
  tolerance = DATA_RANGE_TOLERANCE,
): DataAudit {
  const width = data.columns.length;
  const column = (name: string) => data.columns.indexOf(name);
  const missingInputs = scaling.inputs.filter((s) => column(s.name) < 0).map((s) => s.name);
  if (missingInputs.length > 0) {
    throw new TypeError(
      `Cannot read ${source}: no column for input ${missingInputs.join(", ")} (the header has ${
        data.columns.join(", ")
      })`,
    );
  }
  const stats = (c: number) => {
    let min = Infinity;
    let max = -Infinity;
    let mean = 0;
    for (let r = 0; r < data.rows; r++) {
      const v = data.data[r * width + c]!;
      min = Math.min(min, v);
      max = Math.max(max, v);
      mean += v;
    }
    mean /= data.rows;
    let variance = 0;
    for (let r = 0; r < data.rows; r++) variance += (data.data[r * width + c]! - mean) ** 2;
    return { min, max, mean, std: Math.sqrt(variance / data.rows) };
  };
  const columns: DataColumn[] = [];
  const add = (s: VariableScaler, side: "input" | "output") => {
    const c = column(s.name);
    if (c < 0 || s.kind === "identity") return;
    const st = stats(c);
    const file = constantsOf(s);
    const d: ScalerConstants = s.kind === "zscore"
      ? { mean: st.mean, std: st.std }
      : { min: st.min, max: st.max };
    columns.push({ variable: s.name, side, file, data: d, change: constantsChange(file, d) });
  };
  scaling.inputs.forEach((s) => add(s, "input"));
  scaling.outputs.forEach((s) => add(s, "output"));

  const n = scaling.inputs.length;
  const box = scaling.inputs.map((s) => stats(column(s.name)));
  const N = x.length / n;
  const outside: number[] = [];
  for (let k = 0; k < N; k++) {
    let out = false;
    for (let j = 0; j < n; j++) {
      const v = x[k * n + j]!;
      if (v < box[j]!.min || v > box[j]!.max) out = true;
    }
    if (out) outside.push(k + 1);
  }
  const worst = columns.reduce<DataColumn | undefined>(
    (a, b) => (a === undefined || b.change > a.change ? b : a),
    undefined,
  );
  const differing = columns.filter((c) => c.change > tolerance);
  return {
    source,
    rows: data.rows,
    columns,
    outsideShare: N > 0 ? outside.length / N : 0,
    outsidePoints: outside.slice(0, 20),
    missingOutputs: scaling.outputs.filter((s) => column(s.name) < 0).map((s) => s.name),
    finding: finding("data-range", differing.length > 0, worst?.change ?? 0, tolerance, {
      measure:
        "largest change between a scaling row's constants and the data's, as a fraction of the row's range (or std)",
      absent: "every row's constants are the data's own min/max (or mean/std)",
      rows: differing.map((c) => c.variable),
    }),
  };
}
