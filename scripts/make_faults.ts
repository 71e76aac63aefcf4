// deno-lint-ignore-file no-console -- a script reports what it wrote
/**
 * Builds the verdict's fault matrix in `tests/testdata/faults/` from the
 * bundled models and seed case: each case is a model, a scaling file, points,
 * a reference and optionally the user's own Jacobian or training data, with
 * the cause the verdict must name (`cases.json`). Deterministic: a rerun
 * writes the same bytes. Reads `data/`, writes only under the output folder.
 *
 * - Scaling faults on the bundled efficient-KAN (the best-fitting bundled model):
 *   output rows f1/f2 swapped; input rows x1/x2 swapped (in a variant of the
 *   seed case where x2 is given in tenths, so the two rows differ); x3's range
 *   5 % off; f1's range 10 % off; z-score constants given as min/max (the
 *   model wrapped with affine layers so that it takes and returns z-scores,
 *   exactly the same function, then given the min/max file).
 * - The user's own Jacobian at the first 50 oracle points, made from PyTorch's
 *   float64 autograd Jacobian of the normalized model (`oracle.json`) by the
 *   user's formula and its usual mistakes: correct, inverse factors, not
 *   de-normalized, transposed, scaled by 0.25 (faster-kan's backward bug).
 * - The PyTorch-trained models of `scripts/pytorch/train_faults.py` (already
 *   in `models/`): a FastKAN that cannot fit, an under-trained MLP and a
 *   Sobolev-refit MLP.
 *
 * Run: `npx --yes deno@2.9.6 run --allow-read --allow-write scripts/make_faults.ts [--out DIR]`
 *
 * @module
 */
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { all, create } from "mathjs";
import { stringifyCsvRows } from "../lib/io/_std_csv.ts";
import { writeFileAtomic } from "../lib/io/atomic.ts";
import { readNumericCsv, readTextFile } from "../lib/io/table.ts";
import { encodeOnnxModel, loadOnnxModel, type OnnxModel } from "../lib/onnx/model.ts";
import { decodeOnnxModel } from "../lib/onnx/model.ts";
import { DataType, encodeTensorProto } from "../lib/onnx/tensor.ts";

const root = new URL("../", import.meta.url).pathname;
const out = Deno.args[0] === "--out" && Deno.args[1]
  ? Deno.args[1]
  : join(root, "tests/testdata/faults");
const SEED = join(root, "data/seed");
const EFFKAN = join(root, "data/models/effkan");
/** Points of the user's Jacobian files (the first of the oracle's 200). */
const USER_POINTS = 50;

type Row = { name: string; min: number; max: number };

async function readRanges(path: string): Promise<Row[]> {
  const lines = (await readTextFile(path)).trim().split(/\r?\n/).slice(1);
  return lines.map((line) => {
    const [name, min, max] = line.split(",");
    return { name: name!, min: Number(min), max: Number(max) };
  });
}

function rangeCsv(rows: readonly Row[]): string {
  return stringifyCsvRows([
    ["Variable", "Min", "Max"],
    ...rows.map((r) => [r.name, String(r.min), String(r.max)]),
  ]);
}

async function write(path: string, content: string | Uint8Array): Promise<void> {
  await writeFileAtomic(join(out, path), content);
  console.log(`wrote ${join(out, path)}`);
}

// --- Scaling files ------------------------------------------------------------------------
const seedRows = await readRanges(join(SEED, "olhs_samples_max_min.csv"));
const byName = (name: string) => seedRows.findIndex((r) => r.name === name);

{
  const rows = seedRows.map((r) => ({ ...r }));
  const [a, b] = [byName("f1"), byName("f2")];
  [rows[a], rows[b]] = [rows[b]!, rows[a]!];
  await write("scaling/out_swap_f1_f2.csv", rangeCsv(rows));
}
{
  const rows = seedRows.map((r) => ({ ...r }));
  const r = rows[byName("x3")]!;
  r.max = r.max + 0.05 * (r.max - r.min);
  await write("scaling/in_range_x3.csv", rangeCsv(rows));
}
{
  const rows = seedRows.map((r) => ({ ...r }));
  const r = rows[byName("f1")]!;
  r.max = r.max + 0.10 * (r.max - r.min);
  await write("scaling/out_range_f1.csv", rangeCsv(rows));
}

// --- The seed case with x2 in tenths (x2' = 10·x2): inputs, equations, scaling --------------
const TENTHS = 10;
{
  const text = await readTextFile(join(SEED, "olhs_input.csv"));
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const columns = header!.split(",");
  const j = columns.indexOf("x2");
  const rows = lines.map((line) =>
    line.split(",").map((cell, c) => (c === j ? String(Number(cell) * TENTHS) : cell))
  );
  await write("units/inputs.csv", stringifyCsvRows([columns, ...rows]));
  const equations = JSON.parse(await readTextFile(join(SEED, "equations.json")));
  const math = create(all!, {});
  const outputs: Record<string, string> = {};
  for (const [name, expr] of Object.entries(equations.outputs as Record<string, string>)) {
    const node = math.parse(expr).transform((n) =>
      n.type === "SymbolNode" && (n as unknown as { name: string }).name === "x2"
        ? math.parse(`(x2 / ${TENTHS})`)
        : n
    );
    outputs[name] = node.toString();
  }
  await write(
    "units/equations.json",
    JSON.stringify({ inputs: equations.inputs, outputs }, null, 2) + "\n",
  );
  const unitRows = seedRows.map((r) =>
    r.name === "x2" ? { ...r, min: r.min * TENTHS, max: r.max * TENTHS } : { ...r }
  );
  await write("units/scaling.csv", rangeCsv(unitRows));
  const swapped = unitRows.map((r) => ({ ...r }));
  const [a, b] = [byName("x1"), byName("x2")];
  [swapped[a]!.min, swapped[b]!.min] = [swapped[b]!.min, swapped[a]!.min];
  [swapped[a]!.max, swapped[b]!.max] = [swapped[b]!.max, swapped[a]!.max];
  await write("units/in_swap_x1_x2.csv", rangeCsv(swapped));
}

// --- efficient-KAN taking and returning z-scores ---------------------------------------------
/** Mean and population std (numpy's, sklearn's StandardScaler) of each column of the training data. */
async function zScores(): Promise<{ name: string; mean: number; std: number }[]> {
  const table = await readNumericCsv(join(SEED, "olhs_samples.csv"));
  return seedRows.map((r) => {
    const c = table.columns.indexOf(r.name);
    let mean = 0;
    for (let k = 0; k < table.rows; k++) mean += table.data[k * table.columns.length + c]!;
    mean /= table.rows;
    let v = 0;
    for (let k = 0; k < table.rows; k++) {
      v += (table.data[k * table.columns.length + c]! - mean) ** 2;
    }
    return { name: r.name, mean, std: Math.sqrt(v / table.rows) };
  });
}

/**
 * `model` preceded by `x̂ = A·z + B` and followed by `z_y = C·ŷ + D` (float32
 * constants), so that with z-score scaling it is the same function as `model`
 * with the min-max file.
 */
function wrapAffine(
  model: OnnxModel,
  input: { scale: number[]; shift: number[] },
  output: { scale: number[]; shift: number[] },
): Uint8Array {
  const proto = onnxProto.onnx.ModelProto.decode(encodeOnnxModel(model));
  const graph = proto.graph!;
  const x = graph.input!.find((i) => !(graph.initializer ?? []).some((t) => t.name === i.name))!;
  const y = graph.output![0]!;
  const [xName, yName] = [x.name!, y.name!];
  const rename = (
    v: string,
  ) => (v === xName ? `${xName}_minmax` : v === yName ? `${yName}_minmax` : v);
  for (const node of graph.node ?? []) {
    node.input = (node.input ?? []).map(rename);
    node.output = (node.output ?? []).map(rename);
  }
  const constant = (name: string, values: number[]) =>
    onnxProto.onnx.TensorProto.create(
      encodeTensorProto(name, {
        dims: [values.length],
        dataType: DataType.FLOAT,
        data: Float32Array.from(values),
      }),
    );
  graph.initializer = [
    ...(graph.initializer ?? []),
    constant("zscore_in_scale", input.scale),
    constant("zscore_in_shift", input.shift),
    constant("zscore_out_scale", output.scale),
    constant("zscore_out_shift", output.shift),
  ];
  const node = (op: string, inputs: string[], output: string) =>
    onnxProto.onnx.NodeProto.create({
      opType: op,
      name: `zscore_${output}`,
      input: inputs,
      output: [output],
    });
  graph.node = [
    node("Mul", [xName, "zscore_in_scale"], "zscore_in_scaled"),
    node("Add", ["zscore_in_scaled", "zscore_in_shift"], `${xName}_minmax`),
    ...(graph.node ?? []),
    node("Mul", [`${yName}_minmax`, "zscore_out_scale"], "zscore_out_scaled"),
    node("Add", ["zscore_out_scaled", "zscore_out_shift"], yName),
  ];
  return onnxProto.onnx.ModelProto.encode(proto).finish();
}

{
  const z = await zScores();
  const n = 4;
  const ranges = seedRows.map((r) => r.max - r.min);
  // x̂ = (x − min)/r with x = mean + std·z  →  x̂ = (std/r)·z + (mean − min)/r
  const input = {
    scale: z.slice(0, n).map((v, j) => v.std / ranges[j]!),
    shift: z.slice(0, n).map((v, j) => (v.mean - seedRows[j]!.min) / ranges[j]!),
  };
  // z_y = (y − mean)/std with y = min + r·ŷ  →  z_y = (r/std)·ŷ + (min − mean)/std
  const output = {
    scale: z.slice(n).map((v, i) => ranges[n + i]! / v.std),
    shift: z.slice(n).map((v, i) => (seedRows[n + i]!.min - v.mean) / v.std),
  };
  const bytes = wrapAffine(await loadOnnxModel(join(EFFKAN, "model.onnx")), input, output);
  decodeOnnxModel(bytes, "zscore effkan"); // must still be a valid one-input, one-output model
  await write("zscore/model.onnx", bytes);
  const side = (rows: typeof z) =>
    rows.map((v) => ({ name: v.name, kind: "zscore", mean: v.mean, std: v.std }));
  await write(
    "zscore/scaling.json",
    JSON.stringify({ inputs: side(z.slice(0, n)), outputs: side(z.slice(n)) }, null, 2) + "\n",
  );
}

// --- The user's own Jacobian ---------------------------------------------------------------
{
  const oracle = JSON.parse(await readTextFile(join(EFFKAN, "oracle.json")));
  const inputs: string[] = oracle.inputs;
  const outputs: string[] = oracle.outputs;
  const n = inputs.length;
  const m = outputs.length;
  const range = (name: string) => {
    const r = seedRows[byName(name)]!;
    return r.max - r.min;
  };
  const rx = inputs.map(range);
  const ry = outputs.map(range);
  const reference = (await import("../lib/reference/load.ts")).loadReference;
  const equations = await reference(join(SEED, "equations.json"));
  const points: number[][] = oracle.points_physical.slice(0, USER_POINTS);
  const normalized: number[][][] = oracle.jacobian_normalized.slice(0, USER_POINTS);
  const exact = equations.evaluate(Float64Array.from(points.flat()), points.length).jacobian;
  /** What the user's loop writes for `∂f_i/∂x_j`, from the normalized Jacobian `jn` (float32, as torch). */
  const cases: Record<string, (jn: number[][], i: number, j: number) => number> = {
    correct: (jn, i, j) => jn[i]![j]! * ry[i]! / rx[j]!,
    inverse: (jn, i, j) => jn[i]![j]! * rx[j]! / ry[i]!,
    normalized: (jn, i, j) => jn[i]![j]!,
    transposed: (jn, i, j) => jn[j]![i]! * ry[j]! / rx[i]!,
    factor_0_25: (jn, i, j) => 0.25 * jn[i]![j]! * ry[i]! / rx[j]!,
  };
  for (const [name, formula] of Object.entries(cases)) {
    const header = [...inputs];
    for (const f of outputs) for (const x of inputs) header.push(`d${f}_d${x}`, `d${f}_d${x}_true`);
    const rows = points.map((p, k) => {
      const row = p.map(String);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          row.push(
            String(Math.fround(formula(normalized[k]!, i, j))),
            String(exact[(k * m + i) * n + j]!),
          );
        }
      }
      return row;
    });
    await write(`jacobian/${name}.csv`, stringifyCsvRows([header, ...rows]));
  }
}

// --- The cases and what the verdict must say --------------------------------------------------
/** One case of the fault matrix: the `check` arguments and the expected verdict. */
interface FaultCase {
  name: string;
  /** What was done to make it. */
  fault: string;
  model: string;
  scaling: string;
  inputs: string;
  reference: string;
  jacobian?: string;
  data?: string;
  r2Min?: number;
  expect: {
    /** Every cause, in order (the first is `verdict.cause`; none means `ok`). */
    causes: string[];
    /** The named scaling rows (variable and kind), any order. */
    suspects?: { variable: string; kind: "swap" | "range" }[];
    hypothesis?: string;
    factor?: number;
  };
}

const F = "tests/testdata/faults";
const seed = {
  model: "data/models/effkan/model.onnx",
  scaling: "data/seed/olhs_samples_max_min.csv",
  inputs: "data/seed/olhs_input.csv",
  reference: "data/seed/equations.json",
};
const units = {
  ...seed,
  scaling: `${F}/units/scaling.csv`,
  inputs: `${F}/units/inputs.csv`,
  reference: `${F}/units/equations.json`,
};
const effkanCauses = ["derivative-fit"];
const cases: FaultCase[] = [
  {
    name: "output rows swapped",
    fault: "rows f1 and f2 of the scaling file exchanged (names with them)",
    ...seed,
    scaling: `${F}/scaling/out_swap_f1_f2.csv`,
    expect: {
      causes: ["scaling-file", ...effkanCauses],
      suspects: [{ variable: "f1", kind: "swap" }, { variable: "f2", kind: "swap" }],
    },
  },
  {
    name: "input rows swapped",
    fault: "x2 given in tenths (range 5–25); the Min/Max of x1 and x2 exchanged",
    ...units,
    scaling: `${F}/units/in_swap_x1_x2.csv`,
    expect: {
      causes: ["scaling-file", ...effkanCauses],
      suspects: [{ variable: "x1", kind: "swap" }, { variable: "x2", kind: "swap" }],
    },
  },
  {
    name: "one input's range 5 % off",
    fault: "x3's Max raised by 5 % of its range",
    ...seed,
    scaling: `${F}/scaling/in_range_x3.csv`,
    expect: {
      causes: ["scaling-file", ...effkanCauses],
      suspects: [{ variable: "x3", kind: "range" }],
    },
  },
  {
    name: "one input's range 5 % off, with the training data",
    fault: "as above, with --data olhs_samples.csv",
    ...seed,
    scaling: `${F}/scaling/in_range_x3.csv`,
    data: "data/seed/olhs_samples.csv",
    expect: {
      causes: ["scaling-file", ...effkanCauses],
      suspects: [{ variable: "x3", kind: "range" }],
    },
  },
  {
    name: "one output's range 10 % off",
    fault: "f1's Max raised by 10 % of its range",
    ...seed,
    scaling: `${F}/scaling/out_range_f1.csv`,
    expect: {
      causes: ["scaling-file", ...effkanCauses],
      suspects: [{ variable: "f1", kind: "range" }],
    },
  },
  {
    name: "z-score constants given as min/max",
    fault: "a model trained on z-scores (efficient-KAN wrapped) given the min/max file",
    ...seed,
    model: `${F}/zscore/model.onnx`,
    expect: {
      causes: ["scaling-file", ...effkanCauses],
      suspects: ["x1", "x2", "x3", "x4", "f1", "f2", "f3", "f4"].map((variable) => ({
        variable,
        kind: "range" as const,
      })),
    },
  },
  {
    name: "z-score model, right constants",
    fault: "none: the wrapped model with its z-score file (control)",
    ...seed,
    model: `${F}/zscore/model.onnx`,
    scaling: `${F}/zscore/scaling.json`,
    expect: { causes: effkanCauses, suspects: [] },
  },
  {
    name: "x2 in tenths, right constants",
    fault: "none: the units variant with its own file (control)",
    ...units,
    expect: { causes: effkanCauses, suspects: [] },
  },
  ...([
    ["correct", "the report's formula", effkanCauses],
    ["inverse", "× range(x)/range(f) instead of × range(f)/range(x)", [
      "user-jacobian",
      ...effkanCauses,
    ]],
    ["normalized", "not de-normalized", ["user-jacobian", ...effkanCauses]],
    ["transposed", "df_i_dx_j holds ∂f_j/∂x_i", ["user-jacobian", ...effkanCauses]],
    ["factor", "every entry × 0.25 (faster-kan's backward)", ["user-jacobian", ...effkanCauses]],
  ] as const).map(([hypothesis, fault, causes]): FaultCase => ({
    name: `your Jacobian: ${hypothesis === "factor" ? "scaled by 0.25" : hypothesis}`,
    fault: `PyTorch's Jacobian at 50 points, ${fault}`,
    ...seed,
    jacobian: `${F}/jacobian/${hypothesis === "factor" ? "factor_0_25" : hypothesis}.csv`,
    expect: {
      causes: [...causes],
      suspects: [],
      hypothesis,
      ...(hypothesis === "factor" ? { factor: 0.25 } : {}),
    },
  })),
  {
    name: "a model that cannot fit",
    fault: "FastKAN whose first layer is LayerNorm over the 4 inputs with no base path (PyTorch)",
    ...seed,
    model: `${F}/models/ln_fastkan/model.onnx`,
    expect: { causes: ["architecture"], suspects: [] },
  },
  {
    name: "an under-trained model",
    fault: "Tanh MLP trained for one epoch (PyTorch)",
    ...seed,
    model: `${F}/models/undertrained/model.onnx`,
    expect: { causes: ["underfit"], suspects: [] },
  },
  {
    name: "good values, derivative error: efficient-KAN",
    fault: "none: the bundled model",
    ...seed,
    expect: { causes: ["derivative-fit"], suspects: [] },
  },
  {
    name: "bundled FastKAN",
    fault: "none: the bundled model (values R² 0.913)",
    ...seed,
    model: "data/models/fastkan/model.onnx",
    expect: { causes: ["underfit"], suspects: [] },
  },
  {
    name: "bundled FastKAN, --r2-min 0.9",
    fault: "none: the bundled model, values judged against R² 0.9",
    ...seed,
    model: "data/models/fastkan/model.onnx",
    r2Min: 0.9,
    expect: { causes: ["derivative-fit"], suspects: [] },
  },
  {
    name: "bundled MLP, --r2-min 0.9",
    fault: "none: the bundled model (values R² 0.900), judged against R² 0.9",
    ...seed,
    model: "data/models/mlp/model.onnx",
    r2Min: 0.9,
    expect: { causes: ["derivative-fit"], suspects: [] },
  },
  {
    name: "a model refit until ok",
    fault: "none: Tanh MLP refit with a Sobolev loss (PyTorch)",
    ...seed,
    model: `${F}/models/sobolev/model.onnx`,
    expect: { causes: [], suspects: [] },
  },
];
await write("cases.json", JSON.stringify(cases, null, 2) + "\n");
