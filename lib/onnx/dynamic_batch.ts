/**
 * Fixed-batch exports made to run at any batch size.
 *
 * `torch.onnx.export(model, torch.randn(1, n), path)` with torch's defaults
 * fixes the batch at 1 and, with constant folding, writes it into shape
 * constants: `x.view(x.size(0), -1)` becomes `Reshape(x, [1, 32])`. Such a
 * graph runs only at its own batch size. {@linkcode makeBatchDynamic} finds
 * where the batch axis flows (one rule per op, over the shapes of one run at
 * the file's batch size), rewrites the shape constants that carry it to `-1`,
 * marks the batch dimension of the input and output dynamic, and then proves
 * the rewrite on the model itself: the rewritten graph evaluated on several
 * rows at once must equal the original evaluated row by row. When a step
 * cannot be followed (an op that mixes rows, an unknown op) or the proof
 * fails, the original graph is kept and is run in chunks of its own batch size.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import { decodeOnnxModel, encodeOnnxModel, type OnnxModel } from "./model.ts";
import { createOrtRunner } from "./ort_runner.ts";
import { DataType, encodeTensorProto, toInt } from "./tensor.ts";

/** What {@linkcode makeBatchDynamic} did to a model. */
export interface BatchRewrite {
  /** The batch size fixed in the file's input, or `null` when the file's batch is dynamic. */
  readonly staticBatch: number | null;
  /**
   * `"dynamic"`: the file's batch is already dynamic, nothing was changed.
   * `"rewritten"`: batch dims and the shape constants carrying the batch were made dynamic,
   * and the result was checked against the original row by row.
   * `"chunked"`: no safe rewrite was found; the model runs in chunks of `staticBatch` rows.
   */
  readonly mode: "dynamic" | "rewritten" | "chunked";
  /** Nodes whose shape constants were rewritten (`"rewritten"` only). */
  readonly nodes: readonly string[];
  /** Why no rewrite was used (`"chunked"` only). */
  readonly reason?: string;
  /**
   * Worst difference between the rewritten graph on several rows at once and the original row
   * by row, relative to `max(1, |y|)` (`"rewritten"` only; float32).
   */
  readonly check?: number;
}

/** Largest accepted difference of the row-by-row proof: float32 reassociation, not row mixing. */
const PROOF_TOLERANCE = 1e-5;

/** A one-line summary of a rewrite, for `inspect` and warnings. */
export function describeBatchRewrite(r: BatchRewrite): string {
  switch (r.mode) {
    case "dynamic":
      return "dynamic batch";
    case "rewritten":
      return `batch fixed at ${r.staticBatch} in the file; made dynamic (${r.nodes.length} shape constant(s) rewritten${
        r.nodes.length > 0 ? `: ${r.nodes.join(", ")}` : ""
      }; checked against row-by-row runs, worst difference ${fmt(r.check ?? 0)})`;
    case "chunked":
      return `batch fixed at ${r.staticBatch} in the file; runs in chunks of ${r.staticBatch} row(s) (${r.reason})`;
  }
}

/**
 * The model with a dynamic batch axis, when its file fixes the batch size.
 *
 * @param model A model with one 2-D input and one 2-D output (not modified).
 * @returns The model to run (the original for `"dynamic"` and `"chunked"`) and what was done.
 *
 * @example Usage
 * ```ts
 * import { loadOnnxModel } from "./model.ts";
 * import { makeBatchDynamic } from "./dynamic_batch.ts";
 * const root = new URL("../../data/models/", import.meta.url).pathname;
 * const { rewrite } = await makeBatchDynamic(await loadOnnxModel(`${root}mlp/model.onnx`));
 * if (rewrite.mode !== "dynamic") throw new Error("the bundled MLP has a dynamic batch");
 * ```
 */
export async function makeBatchDynamic(
  model: OnnxModel,
): Promise<{ model: OnnxModel; rewrite: BatchRewrite }> {
  const batch = model.input.batch;
  if (batch === null) return { model, rewrite: { staticBatch: null, mode: "dynamic", nodes: [] } };
  const chunked = (reason: string) => ({
    model,
    rewrite: { staticBatch: batch, mode: "chunked" as const, nodes: [], reason },
  });
  let plan: Plan;
  try {
    const probe = await probeValues(model, batch);
    plan = planRewrite(model, batch, probe);
  } catch (error) {
    if (error instanceof CannotFollow) return chunked(error.message);
    throw error;
  }
  const rewritten = applyPlan(model, plan);
  const check = await proveRowByRow(model, rewritten, batch);
  if (!(check <= PROOF_TOLERANCE)) {
    return chunked(
      `the rewritten graph differs from row-by-row runs by ${
        fmt(check)
      }, more than ${PROOF_TOLERANCE}`,
    );
  }
  return {
    model: rewritten,
    rewrite: {
      staticBatch: batch,
      mode: "rewritten",
      nodes: plan.rewrites.map((r) => r.node),
      check,
    },
  };
}

/** A reason the batch axis cannot be followed through the graph. */
class CannotFollow extends Error {}

interface ProbedValue {
  readonly dims: readonly number[];
  /** Element values of small integer tensors (shape constants), else undefined. */
  readonly ints?: readonly number[];
}

/**
 * Every value of the graph at the file's batch size: runs the original model
 * once in onnxruntime with every node output added as a graph output.
 */
async function probeValues(model: OnnxModel, batch: number): Promise<Map<string, ProbedValue>> {
  const proto = onnxProto.onnx.ModelProto.decode(encodeOnnxModel(model));
  const graph = proto.graph!;
  const known = new Set((graph.output ?? []).map((o) => o.name ?? ""));
  const extra = (graph.node ?? []).flatMap((n) => n.output ?? []).filter((o) =>
    o !== "" && !known.has(o)
  );
  graph.output = [
    ...(graph.output ?? []),
    ...extra.map((name) => onnxProto.onnx.ValueInfoProto.create({ name })),
  ];
  const n = model.input.width;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(
      onnxProto.onnx.ModelProto.encode(proto).finish(),
      { graphOptimizationLevel: "disabled", logSeverityLevel: 4 },
    );
  } catch (error) {
    throw new CannotFollow(`onnxruntime cannot load the graph: ${firstLine(error)}`);
  }
  try {
    const x = new Float32Array(batch * n).map((_, i) => 0.25 + 0.5 * ((i * 0.618034) % 1));
    const feeds = { [model.input.name]: new ort.Tensor("float32", x, [batch, n]) };
    const result = await session.run(feeds);
    const values = new Map<string, ProbedValue>();
    for (const [name, t] of Object.entries(result)) {
      const isInt = t.type === "int64" || t.type === "int32";
      const ints = isInt && t.size <= 64
        ? Array.from(t.data as ArrayLike<bigint | number>, (v) => Number(v))
        : undefined;
      values.set(name, { dims: t.dims.map(Number), ...(ints ? { ints } : {}) });
    }
    // After every read: outputs may share a buffer (a Reshape of another output).
    for (const t of new Set(Object.values(result))) t.dispose();
    return values;
  } catch (error) {
    throw new CannotFollow(`the graph does not run at its own batch size: ${firstLine(error)}`);
  } finally {
    await session.release();
  }
}

/** A shape constant to replace: node input `index` of `node` gets `values` (int64). */
interface ShapeRewrite {
  readonly node: string;
  readonly nodeIndex: number;
  readonly inputIndex: number;
  readonly values: readonly number[];
}

interface Plan {
  readonly rewrites: readonly ShapeRewrite[];
}

/**
 * Follows the batch axis from the graph input through every node (one rule per
 * op) and lists the shape constants that must change for other batch sizes.
 *
 * @throws {CannotFollow} Where a node mixes rows or its rule is unknown.
 */
function planRewrite(model: OnnxModel, batch: number, probe: Map<string, ProbedValue>): Plan {
  const graph = model.proto.graph!;
  /** Batch axis of each value that carries the batch. */
  const axisOf = new Map<string, number>([[model.input.name, 0]]);
  /** Values computed from the runtime shape of a batch-carrying value (already dynamic). */
  const fromShape = new Set<string>();
  const rewrites: ShapeRewrite[] = [];
  const dimsOf = (name: string): readonly number[] => {
    if (name === model.input.name) return [batch, model.input.width];
    const init = model.initializers.get(name);
    if (init) return init.dims;
    const p = probe.get(name);
    if (!p) throw new CannotFollow(`no shape for "${name}"`);
    return p.dims;
  };
  const intsOf = (name: string): number[] | undefined => {
    const init = model.initializers.get(name);
    if (init) return Array.from(init.data as ArrayLike<number | bigint>, (v) => Number(v));
    const p = probe.get(name);
    return p?.ints ? [...p.ints] : undefined;
  };

  (graph.node ?? []).forEach((node, nodeIndex) => {
    const op = node.opType ?? "";
    const name = node.name || `${op}#${nodeIndex}`;
    const inputs = node.input ?? [];
    const outputs = (node.output ?? []).filter((o) => o !== "");
    const axes = inputs.map((i) => (i === "" ? undefined : axisOf.get(i)));
    const carries = axes.some((a) => a !== undefined);
    if (inputs.some((i) => fromShape.has(i)) || (op === "Shape" || op === "Size") && carries) {
      if (!carries || op === "Shape" || op === "Size") {
        for (const o of outputs) fromShape.add(o);
        return;
      }
    }
    if (!carries) return;
    const fail = (why: string): never => {
      throw new CannotFollow(`node "${name}" (${op}) ${why}`);
    };
    const attrs = new Map((node.attribute ?? []).map((a) => [a.name ?? "", a]));
    const attrInt = (key: string, fallback: number) => {
      const a = attrs.get(key);
      return a ? toInt(a.i) : fallback;
    };
    const attrInts = (key: string) => attrs.get(key)?.ints?.map((v) => toInt(v));
    const rankOf = (name: string) => dimsOf(name).length;
    const outRank = outputs[0] !== undefined ? rankOf(outputs[0]) : 0;
    const data = axes[0];
    const set = (axis: number) => {
      for (const o of outputs) axisOf.set(o, axis);
    };
    const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

    switch (op) {
      case "Reshape": {
        if (data === undefined) return fail("takes its shape from the batch");
        const inDims = dimsOf(inputs[0]!);
        const outDims = dimsOf(outputs[0]!);
        const prefix = product(inDims.slice(0, data));
        const q = outDims.findIndex((d, k) =>
          product(outDims.slice(0, k)) === prefix && d % batch === 0
        );
        if (q < 0) return fail("splits the batch axis across dimensions");
        const shapeName = inputs[1] ?? "";
        if (!fromShape.has(shapeName)) {
          const given = intsOf(shapeName);
          if (!given) return fail("has a shape that is neither constant nor computed from shapes");
          if (given[q] === 0 && q !== data) return fail("copies a dimension across the batch axis");
          if (given[q] !== -1 && given[q] !== 0) {
            const values = given.map((v, k) => (k === q ? -1 : v === -1 ? outDims[k]! : v));
            if (values.some((v, k) => v === 0 && k === data)) {
              return fail("copies the batch dimension to another axis");
            }
            rewrites.push({ node: name, nodeIndex, inputIndex: 1, values });
          }
        }
        return set(q);
      }
      case "Expand": {
        if (data === undefined) return fail("takes its shape from the batch");
        const out = outRank - rankOf(inputs[0]!) + data;
        const shapeName = inputs[1] ?? "";
        if (!fromShape.has(shapeName) && batch !== 1) {
          const given = intsOf(shapeName);
          if (!given) return fail("has a shape that is neither constant nor computed from shapes");
          const k = given.length - outRank + out;
          if (k >= 0 && given[k] === batch) {
            rewrites.push({
              node: name,
              nodeIndex,
              inputIndex: 1,
              values: given.map((v, i) => (i === k ? 1 : v)),
            });
          }
        }
        return set(out);
      }
      case "MatMul": {
        const [a, b] = [axes[0], axes[1]];
        const ra = rankOf(inputs[0]!);
        const rb = rankOf(inputs[1]!);
        let out: number | undefined;
        if (a !== undefined) {
          if (a === ra - 1) return fail("contracts over the batch axis");
          out = ra === 1 ? undefined : outRank - ra + a;
        }
        if (b !== undefined) {
          if (rb === 1 || b === rb - 2) return fail("contracts over the batch axis");
          const ob = b === rb - 1 ? outRank - 1 : outRank - rb + b;
          if (out !== undefined && out !== ob) {
            return fail("has operands with different batch axes");
          }
          out = ob;
        }
        if (out === undefined) return fail("contracts over the batch axis");
        return set(out);
      }
      case "Gemm": {
        if (axes[1] !== undefined || axes[2] !== undefined) {
          return fail("takes its weights or bias from the batch");
        }
        const transA = attrInt("transA", 0);
        if (data !== (transA ? 1 : 0)) return fail("contracts over the batch axis");
        return set(0);
      }
      case "Transpose": {
        const rank = rankOf(inputs[0]!);
        const perm = attrInts("perm") ?? [...Array(rank).keys()].reverse();
        return set(perm.indexOf(data!));
      }
      case "Unsqueeze":
      case "Squeeze": {
        const rank = rankOf(inputs[0]!);
        const listed = attrInts("axes") ?? (inputs[1] ? intsOf(inputs[1]) : undefined);
        if (op === "Squeeze") {
          const removed = (listed ?? dimsOf(inputs[0]!).flatMap((d, k) => (d === 1 ? [k] : [])))
            .map((v) => norm(v, rank));
          if (removed.includes(data!)) return fail("removes the batch axis");
          return set(data! - removed.filter((v) => v < data!).length);
        }
        const inserted = (listed ?? []).map((v) => norm(v, outRank));
        let k = 0;
        for (let pos = 0; pos < outRank; pos++) {
          if (inserted.includes(pos)) continue;
          if (k === data) return set(pos);
          k++;
        }
        return fail("has axes that do not fit its rank");
      }
      case "Flatten": {
        const inDims = dimsOf(inputs[0]!);
        const axis = norm(attrInt("axis", 1), inDims.length);
        const start = data! < axis ? 0 : axis;
        if (product(inDims.slice(start, data!)) !== 1) return fail("merges the batch axis inward");
        return set(data! < axis ? 0 : 1);
      }
      case "Concat":
      case "Split": {
        const rank = rankOf(inputs[0]!);
        const axis = norm(attrInt("axis", 0), rank);
        const known = axes.filter((a): a is number => a !== undefined);
        const out = known[0]!;
        if (known.some((a) => a !== out)) return fail("has operands with different batch axes");
        if (axis === out) return fail("joins or splits along the batch axis");
        if (op === "Concat" && known.length < inputs.length) {
          // Constant operands concatenated to batch-carrying ones would need the batch themselves.
          return fail("concatenates a constant along another axis of a batched value");
        }
        return set(out);
      }
      case "Slice": {
        const rank = rankOf(inputs[0]!);
        const sliced = attrInts("axes") ??
          (inputs[3] ? intsOf(inputs[3]) : [...Array(rank).keys()]) ??
          fail("has axes that are not constant");
        if (sliced.map((v) => norm(v, rank)).includes(data!)) {
          return fail("slices along the batch axis");
        }
        return set(data!);
      }
      case "Gather": {
        const rank = rankOf(inputs[0]!);
        const axis = norm(attrInt("axis", 0), rank);
        if (axes[1] !== undefined) return fail("takes its indices from the batch");
        if (data === axis) return fail("gathers along the batch axis");
        return set(data! < axis ? data! : data! - 1 + rankOf(inputs[1]!));
      }
      case "ReduceSum":
      case "ReduceMean":
      case "ReduceMax":
      case "ReduceMin":
      case "ReduceProd":
      case "ReduceL1":
      case "ReduceL2":
      case "ReduceLogSumExp":
      case "ReduceSumSquare": {
        const rank = rankOf(inputs[0]!);
        const listed = attrInts("axes") ?? (inputs[1] ? intsOf(inputs[1]) : undefined);
        const reduced = (listed && listed.length > 0 ? listed : [...Array(rank).keys()]).map((v) =>
          norm(v, rank)
        );
        if (reduced.includes(data!)) return fail("reduces over the batch axis");
        const keep = attrInt("keepdims", 1) !== 0;
        return set(keep ? data! : data! - reduced.filter((v) => v < data!).length);
      }
      case "Softmax":
      case "LogSoftmax":
      case "Hardmax":
      case "CumSum":
      case "LayerNormalization": {
        const rank = rankOf(inputs[0]!);
        const defaultAxis = op === "LayerNormalization" || model.opset >= 13 ? -1 : 1;
        const axisValue = op === "CumSum"
          ? (intsOf(inputs[1] ?? "")?.[0] ?? 0)
          : attrInt("axis", defaultAxis);
        const axis = norm(axisValue, rank);
        const mixes = op === "CumSum" ||
            (op === "Softmax" || op === "LogSoftmax" || op === "Hardmax") && model.opset >= 13
          ? axis === data
          : data! >= axis;
        if (mixes) return fail("mixes values along the batch axis");
        if (op === "LayerNormalization" && (axes[1] !== undefined || axes[2] !== undefined)) {
          return fail("takes its scale from the batch");
        }
        return set(data!);
      }
      case "Einsum": {
        const equation = (new TextDecoder().decode(attrs.get("equation")?.s ?? new Uint8Array()))
          .replace(/\s/g, "");
        const [lhs, rhs] = equation.split("->");
        if (rhs === undefined || equation.includes(".")) {
          return fail(`has an equation "${equation}" without an explicit output`);
        }
        const terms = lhs!.split(",");
        let out: number | undefined;
        axes.forEach((a, k) => {
          if (a === undefined) return;
          const letter = terms[k]?.[a];
          const pos = letter === undefined ? -1 : rhs.indexOf(letter);
          if (pos < 0) fail("contracts over the batch axis");
          if (out !== undefined && out !== pos) fail("has operands with different batch axes");
          out = pos;
        });
        return set(out!);
      }
      case "Conv":
      case "MaxPool":
      case "AveragePool":
      case "GlobalAveragePool": {
        if (data !== 0 || axes.slice(1).some((a) => a !== undefined)) {
          return fail("has the batch elsewhere than on axis 0 of its data");
        }
        return set(0);
      }
      case "Tile": {
        const repeats = intsOf(inputs[1] ?? "");
        if (!repeats) return fail("has repeats that are not constant");
        if (repeats[data!] !== 1) return fail("repeats along the batch axis");
        return set(data!);
      }
      default: {
        if (!ELEMENTWISE.has(op)) return fail("has no batch rule (unknown op for the rewrite)");
        // Broadcasting: axes align from the right.
        let out: number | undefined;
        axes.forEach((a, k) => {
          if (a === undefined) return;
          const o = outRank - rankOf(inputs[k]!) + a;
          if (out !== undefined && out !== o) fail("has operands with different batch axes");
          out = o;
        });
        return set(out!);
      }
    }
  });
  const outAxis = axisOf.get(model.output.name);
  if (outAxis !== 0) {
    throw new CannotFollow(
      outAxis === undefined
        ? `output "${model.output.name}" does not carry the batch`
        : `output "${model.output.name}" carries the batch on axis ${outAxis}, not 0`,
    );
  }
  return { rewrites };
}

/** Ops that act element by element with numpy broadcasting (batch axis aligned from the right). */
const ELEMENTWISE = new Set([
  "Abs",
  "Acos",
  "Acosh",
  "Add",
  "And",
  "Asin",
  "Asinh",
  "Atan",
  "Atanh",
  "BatchNormalization",
  "Cast",
  "CastLike",
  "Ceil",
  "Celu",
  "Clip",
  "Cos",
  "Cosh",
  "Div",
  "Dropout",
  "Elu",
  "Equal",
  "Erf",
  "Exp",
  "Floor",
  "Gelu",
  "Greater",
  "GreaterOrEqual",
  "HardSigmoid",
  "HardSwish",
  "Identity",
  "IsInf",
  "IsNaN",
  "LeakyRelu",
  "Less",
  "LessOrEqual",
  "Log",
  "Max",
  "Mean",
  "Min",
  "Mish",
  "Mod",
  "Mul",
  "Neg",
  "Not",
  "Or",
  "Pow",
  "PRelu",
  "Reciprocal",
  "Relu",
  "Round",
  "Selu",
  "Sigmoid",
  "Sign",
  "Sin",
  "Sinh",
  "Softplus",
  "Softsign",
  "Sqrt",
  "Sub",
  "Sum",
  "Tan",
  "Tanh",
  "ThresholdedRelu",
  "Where",
  "Xor",
]);

/** A copy of the model with the plan's shape constants and dynamic batch dims. */
function applyPlan(model: OnnxModel, plan: Plan): OnnxModel {
  const proto = onnxProto.onnx.ModelProto.decode(encodeOnnxModel(model));
  const graph = proto.graph!;
  const taken = new Set([
    ...(graph.initializer ?? []).map((t) => t.name ?? ""),
    ...(graph.node ?? []).flatMap((n) => n.output ?? []),
  ]);
  for (const r of plan.rewrites) {
    const node = graph.node![r.nodeIndex]!;
    let name = `${node.input![r.inputIndex]}_dynamic_batch`;
    for (let k = 1; taken.has(name); k++) name = `${node.input![r.inputIndex]}_dynamic_batch_${k}`;
    taken.add(name);
    graph.initializer = [
      ...(graph.initializer ?? []),
      onnxProto.onnx.TensorProto.create(encodeTensorProto(name, {
        dims: [r.values.length],
        dataType: DataType.INT64,
        data: BigInt64Array.from(r.values.map((v) => BigInt(v))),
      })),
    ];
    node.input![r.inputIndex] = name;
  }
  for (const info of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    const dim0 = info.type?.tensorType?.shape?.dim?.[0];
    if (dim0 && (info.name === model.input.name || info.name === model.output.name)) {
      dim0.dimValue = null;
      dim0.dimParam = "batch";
    }
  }
  // Shapes recorded for the fixed batch would contradict the new one.
  graph.valueInfo = [];
  return decodeOnnxModel(onnxProto.onnx.ModelProto.encode(proto).finish(), model.source);
}

/**
 * Largest difference, relative to `max(1, |y|)`, between the rewritten model on
 * several distinct rows at once and the original on each row in turn.
 */
async function proveRowByRow(
  original: OnnxModel,
  rewritten: OnnxModel,
  batch: number,
): Promise<number> {
  const rows = batch + 3;
  const n = original.input.width;
  const x = new Float64Array(rows * n).map((_, i) => (i * 0.7548776662 + 0.1) % 1);
  const a = await createOrtRunner(original, { logSeverityLevel: 4 });
  const b = await createOrtRunner(rewritten, { logSeverityLevel: 4 });
  try {
    const expected = new Float64Array(rows * original.output.width);
    for (let r = 0; r < rows; r++) {
      expected.set(await a.run(x.subarray(r * n, (r + 1) * n), 1), r * original.output.width);
    }
    let worst = 0;
    for (const size of [rows, 1]) {
      const got = await b.run(x.subarray(0, size * n), size);
      for (let i = 0; i < got.length; i++) {
        const e = expected[i]!;
        worst = Math.max(worst, Math.abs(got[i]! - e) / Math.max(1, Math.abs(e)));
      }
    }
    return worst;
  } catch {
    return Number.POSITIVE_INFINITY;
  } finally {
    await a.release();
    await b.release();
  }
}

function product(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

function fmt(v: number): string {
  return v === 0 ? "0" : v.toExponential(1);
}
