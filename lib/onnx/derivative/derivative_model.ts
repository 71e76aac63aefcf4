/**
 * The derivative model of an ONNX model: `x → (y, J)` or `x → (y, J, H)`,
 * the scaling folded in so `J` (and `H`) are in physical units, in float32 or
 * in float64 (a float64 copy of the graph, differentiated with float64
 * constants, ops that onnxruntime runs in float only rewritten).
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { rewriteForFloat64 } from "../_float64_rewrites.ts";
import { type OnnxModel, toFloat64 } from "../model.ts";
import { DataType, encodeTensorProto, toInt } from "../tensor.ts";
import { differentiateModel } from "./transform.ts";

/**
 * An affine normalization `x_n = lo + width · (x - center) / spread` (the
 * canonical form of min-max, z-score and identity scalers).
 */
export interface AffineForm {
  readonly center: number;
  readonly spread: number;
  readonly lo: number;
  readonly width: number;
}

/** Options of {@linkcode buildDerivativeModel}. */
export interface DerivativeModelOptions {
  /**
   * 1: outputs `y` and `J`; 2: also the Hessians `H`.
   * @default {1}
   */
  order?: 1 | 2;
  /**
   * Precision of the graph.
   * @default {"float32"}
   */
  dtype?: "float32" | "float64";
  /**
   * The scaling of the model's inputs (length `n`) and outputs (length `m`):
   * the model maps normalized inputs to normalized outputs.
   * @default {undefined} (the model works in physical units)
   */
  scaling?: { readonly inputs: readonly AffineForm[]; readonly outputs: readonly AffineForm[] };
  /**
   * `true`: the derivative model's input and `y` are in physical units (the
   * normalization and de-normalization are nodes of the graph), for a
   * standalone model. `false`: its input is the normalized point and `y` the
   * normalized output (normalize and de-normalize on the host, in float64);
   * `J` and `H` are physical either way.
   * @default {false}
   */
  physicalIo?: boolean;
  /**
   * Names of the derivative model's input and outputs (taken when no value of
   * the graph has them; the input and `y` only with `physicalIo`).
   * @default {{ jacobian: "J", hessian: "H" }, the model's own input and output names}
   */
  names?: { input?: string; output?: string; jacobian?: string; hessian?: string };
}

/** A derivative model and the names of its values. */
export interface DerivativeModel {
  /** The model. */
  readonly proto: onnxProto.onnx.ModelProto;
  /** Input, `[B, n]`. */
  readonly input: string;
  /** Output `y`, `[B, m]`. */
  readonly output: string;
  /** Output `J`, `[B, m, n]`, `J[b, i, j] = ∂y_i/∂x_j`, physical units. */
  readonly jacobian: string;
  /** Output `H`, `[B, m, n, n]`, `H[b, i, j, k] = ∂²y_i/∂x_j∂x_k`, when `order` is 2. */
  readonly hessian?: string;
  /** Input width `n`. */
  readonly inputWidth: number;
  /** Output width `m`. */
  readonly outputWidth: number;
  /** Fixed batch size, or `null` when dynamic. */
  readonly batch: number | null;
  /** Precision. */
  readonly dtype: "float32" | "float64";
}

/**
 * Builds the derivative model of `model` by forward-mode differentiation
 * (applied twice for Hessians).
 *
 * With the scaling `x_n = s_in ⊙ x + o_in`, `y = (y_n - o_out) / s_out`, the
 * graph's tangents are seeded with `s_in` and the result divided by `s_out`,
 * so `J = diag(1 / s_out) · J_n · diag(s_in)`, the Jacobian of the physical
 * function; `H` likewise in both input slots.
 *
 * @param model The ONNX model, one 2-D input and one 2-D output.
 * @param options Order, precision, scaling, units of the input and `y`.
 * @throws {UnsupportedDerivativeError} For an op with no tangent rule, naming the op and node.
 * @throws {RangeError} If the scaling's widths differ from the model's.
 *
 * @example Usage
 * ```ts
 * import * as ort from "onnxruntime-node";
 * import onnxProto from "onnx-proto";
 * import { decodeOnnxModel } from "../model.ts";
 * import { buildDerivativeModel } from "./derivative_model.ts";
 * // y_n = x_n² / 2 with x_n = x / 2 and y_n = y / 8, so y = x²: dy/dx = 2x, d²y/dx² = 2
 * const vi = (name: string) => ({
 *   name,
 *   type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: 1 }] } } },
 * });
 * const bytes = onnxProto.onnx.ModelProto.encode({
 *   irVersion: 8,
 *   opsetImport: [{ domain: "", version: 17 }],
 *   graph: {
 *     node: [{ opType: "Mul", input: ["x", "x"], output: ["s"] }, { opType: "Mul", input: ["s", "k"], output: ["y"] }],
 *     initializer: [{ name: "k", dims: [], dataType: 1, floatData: [0.5] }],
 *     input: [vi("x")],
 *     output: [vi("y")],
 *   },
 * }).finish();
 * const half = { center: 0, spread: 2, lo: 0, width: 1 };
 * const eighth = { center: 0, spread: 8, lo: 0, width: 1 };
 * const dm = await buildDerivativeModel(decodeOnnxModel(bytes, "square.onnx"), {
 *   order: 2, dtype: "float64", physicalIo: true, scaling: { inputs: [half], outputs: [eighth] },
 * });
 * const session = await ort.InferenceSession.create(onnxProto.onnx.ModelProto.encode(dm.proto).finish());
 * const out = await session.run({ [dm.input]: new ort.Tensor("float64", Float64Array.of(3), [1, 1]) });
 * await session.release();
 * const got = [dm.output, dm.jacobian, dm.hessian!].map((k) => Number(out[k]!.data[0]));
 * // y = 9, dy/dx = 6, d²y/dx² = 2 at x = 3
 * if ([9, 6, 2].some((v, i) => Math.abs(got[i]! - v) > 1e-12)) throw new Error(`got ${got}`);
 * ```
 */
export async function buildDerivativeModel(
  model: OnnxModel,
  options: DerivativeModelOptions = {},
): Promise<DerivativeModel> {
  const { order = 1, dtype = "float32", physicalIo = false } = options;
  const n = model.input.width;
  const m = model.output.width;
  const scaling = options.scaling;
  if (scaling && (scaling.inputs.length !== n || scaling.outputs.length !== m)) {
    throw new RangeError(
      `Cannot differentiate ${model.source}: it maps ${n} inputs to ${m} outputs, the scaling has ${scaling.inputs.length} and ${scaling.outputs.length}`,
    );
  }
  const base = dtype === "float64" && model.input.elemType !== DataType.DOUBLE
    ? toFloat64(model)
    : model;
  const floatType = dtype === "float64" ? DataType.DOUBLE : DataType.FLOAT;
  let proto: onnxProto.onnx.ModelProto = base.proto;
  let input = base.input.name;
  let output = base.output.name;
  let seedScale: number[] | undefined;
  let divideBy: number[] | undefined;
  if (scaling && physicalIo) {
    ({ proto, input, output } = withPhysicalUnits(proto, input, output, scaling, floatType, {
      input: options.names?.input ?? input,
      output: options.names?.output ?? output,
    }));
  } else if (scaling) {
    seedScale = scaling.inputs.map((f) => f.width / f.spread);
    divideBy = scaling.outputs.map((f) => f.width / f.spread);
  }
  const taken = new Set(namesOf(proto));
  const jacobian = freshName(options.names?.jacobian ?? "J", taken);
  const source = model.source;
  const first = finish(
    await differentiateModel(proto, {
      input,
      targets: [{ output, name: jacobian, ...(divideBy ? { divideBy } : {}) }],
      ...(seedScale ? { seedScale } : {}),
      source,
    }),
    dtype,
  );
  let result = first;
  let hessian: string | undefined;
  if (order === 2) {
    hessian = freshName(options.names?.hessian ?? "H", new Set(namesOf(first)));
    result = finish(
      await differentiateModel(first, {
        input,
        targets: [{ output: jacobian, name: hessian }],
        ...(seedScale ? { seedScale } : {}),
        source,
      }),
      dtype,
    );
  }
  const batch = model.input.batch;
  return {
    proto: result,
    input,
    output,
    jacobian,
    ...(hessian ? { hessian } : {}),
    inputWidth: n,
    outputWidth: m,
    batch,
    dtype,
  };
}

/** Rewrites the ops onnxruntime runs in float only, in a float64 graph. */
function finish(
  proto: onnxProto.onnx.ModelProto,
  dtype: "float32" | "float64",
): onnxProto.onnx.ModelProto {
  if (dtype !== "float64") return proto;
  const opset = toInt(
    proto.opsetImport.find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx")?.version,
  );
  const nodes = proto.graph?.node ?? [];
  if (!nodes.some((node, i) => rewriteForFloat64(node, i, opset) !== undefined)) return proto;
  proto.graph!.node = nodes.flatMap((node, i) =>
    rewriteForFloat64(node, i, opset) ?? [node]
  ) as onnxProto.onnx.NodeProto[];
  return onnxProto.onnx.ModelProto.decode(onnxProto.onnx.ModelProto.encode(proto).finish());
}

function namesOf(proto: onnxProto.onnx.IModelProto): string[] {
  const graph = proto.graph ?? {};
  return [
    ...(graph.input ?? []).map((v) => v.name ?? ""),
    ...(graph.output ?? []).map((v) => v.name ?? ""),
    ...(graph.initializer ?? []).map((t) => t.name ?? ""),
    ...(graph.node ?? []).flatMap((node) => node.output ?? []),
  ];
}

function freshName(want: string, taken: ReadonlySet<string>): string {
  if (!taken.has(want)) return want;
  let i = 1;
  while (taken.has(`${want}_${i}`)) i++;
  return `${want}_${i}`;
}

/**
 * The model with a physical-units input `x` and output `y`: the normalization
 * `lo + width · (x - center) / spread` before it and its inverse after it, as
 * graph nodes in the graph's precision.
 */
function withPhysicalUnits(
  proto: onnxProto.onnx.ModelProto,
  input: string,
  output: string,
  scaling: NonNullable<DerivativeModelOptions["scaling"]>,
  floatType: number,
  want: { input: string; output: string },
): { proto: onnxProto.onnx.ModelProto; input: string; output: string } {
  const graph = proto.graph ?? {};
  const taken = new Set(namesOf(proto));
  const fresh = (want: string) => {
    const name = freshName(want, taken);
    taken.add(name);
    return name;
  };
  const xn = fresh(`${input}_normalized`);
  const yn = fresh(`${output}_normalized`);
  taken.delete(input);
  taken.delete(output);
  const physicalIn = fresh(want.input);
  const physicalOut = fresh(want.output === physicalIn ? "y" : want.output);
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const constant = (values: readonly number[]) => {
    const name = fresh("scaling");
    const data = floatType === DataType.DOUBLE
      ? Float64Array.from(values)
      : Float32Array.from(values);
    initializers.push(
      encodeTensorProto(name, { dims: [values.length], dataType: floatType, data }),
    );
    return name;
  };
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const node = (opType: string, inputs: string[], out?: string) => {
    const o = out ?? fresh(opType.toLowerCase());
    nodes.push({ opType, input: inputs, output: [o], name: `${o}_node` });
    return o;
  };
  const ins = scaling.inputs;
  const outs = scaling.outputs;
  // x_n = lo + width · (x - center) / spread
  const unit = node("Div", [
    node("Sub", [physicalIn, constant(ins.map((f) => f.center))]),
    constant(ins.map((f) => f.spread)),
  ]);
  node("Add", [
    node("Mul", [unit, constant(ins.map((f) => f.width))]),
    constant(ins.map((f) => f.lo)),
  ], xn);
  for (const original of graph.node ?? []) {
    nodes.push({
      ...original,
      input: (original.input ?? []).map((s) => (s === input ? xn : s)),
      output: (original.output ?? []).map((s) => (s === output ? yn : s)),
    });
  }
  // y = center + spread · (y_n - lo) / width
  const unitOut = node("Div", [
    node("Sub", [yn, constant(outs.map((f) => f.lo))]),
    constant(outs.map((f) => f.width)),
  ]);
  node("Add", [
    node("Mul", [unitOut, constant(outs.map((f) => f.spread))]),
    constant(outs.map((f) => f.center)),
  ], physicalOut);
  const rename = (v: onnxProto.onnx.IValueInfoProto, from: string, to: string) =>
    v.name === from ? { ...v, name: to } : v;
  const result = onnxProto.onnx.ModelProto.create({
    ...proto,
    graph: {
      ...graph,
      node: nodes,
      initializer: [...(graph.initializer ?? []), ...initializers],
      input: (graph.input ?? []).map((v) => rename(v, input, physicalIn)),
      output: (graph.output ?? []).map((v) => rename(v, output, physicalOut)),
      valueInfo: (graph.valueInfo ?? []).filter((v) => v.name !== output && v.name !== input),
    },
  });
  return {
    proto: onnxProto.onnx.ModelProto.decode(onnxProto.onnx.ModelProto.encode(result).finish()),
    input: physicalIn,
    output: physicalOut,
  };
}
