/**
 * Forward-mode differentiation of an ONNX graph into an ONNX graph: `x → y`
 * becomes `x → (y, …, dy/dx)`, with all `n` input directions carried together
 * on a leading tangent axis, so that onnxruntime computes the exact Jacobian
 * of every point of a batch in one run. Applied to its own output it gives
 * second derivatives.
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { DataType, toInt } from "../tensor.ts";
import { expandShortBroadcasts } from "./_broadcast.ts";
import { fixed, GraphBuilder, type ValueInfo } from "./_graph_builder.ts";
import { Differentiator, type Tangent } from "./_differentiator.ts";
import { constantValues, probeGraph } from "./_probe.ts";
import { NodeAttributes, type RuleNode, UnsupportedDerivativeError } from "./_rule.ts";
import { DIFFERENTIABLE_OPS, TANGENT_RULES } from "./rules/mod.ts";

/** One output to differentiate. */
export interface DerivativeTarget {
  /** The output to differentiate, shape `[B, ...S]`. */
  readonly output: string;
  /** Name of the new output holding its derivative, shape `[B, ...S, n]`. */
  readonly name: string;
  /**
   * Divides the derivative by these numbers along the last axis of `S` (one per
   * entry), e.g. the output scaling's `d y_n / d y`.
   * @default {undefined} (no division)
   */
  readonly divideBy?: readonly number[];
}

/** Options of {@linkcode differentiateModel}. */
export interface DifferentiateOptions {
  /** The graph input to differentiate with respect to, shape `[B, n]`. */
  readonly input: string;
  /** The outputs to differentiate. */
  readonly targets: readonly DerivativeTarget[];
  /**
   * The tangent of input column `j` along direction `j` (length `n`): the
   * derivative of the graph's input with respect to the variable the
   * derivative is taken in, e.g. the input scaling's `d x_n / d x`.
   * @default {1 for every column}
   */
  readonly seedScale?: readonly number[];
  /**
   * Path or label used in messages.
   * @default {"the model"}
   */
  readonly source?: string;
}

/**
 * The model with, for each target output `y` of shape `[B, ...S]`, a new
 * output `d y / d x` of shape `[B, ...S, n]` (`n` = the input width), computed
 * by forward mode: every node is followed by the nodes of its tangent rule.
 * The original outputs are kept. Samples must be independent (row `b` of every
 * output depends on row `b` of the input only).
 *
 * @param proto The model (not modified), one float input `[B, n]`.
 * @param options The input, the targets, the seed scaling.
 * @returns A new model.
 * @throws {UnsupportedDerivativeError} For the first node whose op has no tangent rule,
 *   naming the op and the node.
 * @throws {TypeError} If the input or a target does not exist.
 *
 * @example Usage
 * ```ts
 * import onnxProto from "onnx-proto";
 * import * as ort from "onnxruntime-node";
 * import { differentiateModel } from "./transform.ts";
 * // y = x ⊙ x for x of width 2: dy/dx = diag(2x)
 * const vi = (name: string) => ({
 *   name,
 *   type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: "N" }, { dimValue: 2 }] } } },
 * });
 * const model = onnxProto.onnx.ModelProto.create({
 *   irVersion: 8,
 *   opsetImport: [{ domain: "", version: 17 }],
 *   graph: { node: [{ opType: "Mul", input: ["x", "x"], output: ["y"] }], input: [vi("x")], output: [vi("y")] },
 * });
 * const derivative = await differentiateModel(model, { input: "x", targets: [{ output: "y", name: "J" }] });
 * const session = await ort.InferenceSession.create(onnxProto.onnx.ModelProto.encode(derivative).finish());
 * const { J } = await session.run({ x: new ort.Tensor("float32", Float32Array.of(3, 5), [1, 2]) });
 * await session.release();
 * if ([...(J!.data as Float32Array)].join() !== "6,0,0,10") throw new Error(`got ${J!.data}`);
 * ```
 */
export async function differentiateModel(
  proto: onnxProto.onnx.IModelProto,
  options: DifferentiateOptions,
): Promise<onnxProto.onnx.ModelProto> {
  const source = options.source ?? "the model";
  const graph = proto.graph;
  if (!graph) throw new TypeError(`Cannot differentiate ${source}: no graph`);
  const opset = toInt(
    proto.opsetImport?.find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx")?.version,
  );
  const input = (graph.input ?? []).find((v) => v.name === options.input);
  const tensorType = input?.type?.tensorType;
  const dims = tensorType?.shape?.dim ?? [];
  if (!input || !tensorType || dims.length !== 2) {
    throw new TypeError(
      `Cannot differentiate ${source}: no 2-D graph input "${options.input}"`,
    );
  }
  const n = toInt(dims[1]!.dimValue);
  const batchValue = toInt(dims[0]!.dimValue);
  const floatType = tensorType.elemType ?? DataType.FLOAT;
  const seedScale = options.seedScale ?? Array<number>(n).fill(1);
  if (seedScale.length !== n) {
    throw new RangeError(
      `Cannot differentiate ${source}: ${seedScale.length} seed scales for input width ${n}`,
    );
  }
  // Every op must have a rule: refuse before running anything.
  (graph.node ?? []).forEach((node, index) => {
    const domain = node.domain ?? "";
    const opType = node.opType ?? "";
    if ((domain === "" || domain === "ai.onnx") && TANGENT_RULES.has(opType)) return;
    throw new UnsupportedDerivativeError(
      domain === "" || domain === "ai.onnx" ? opType : `${domain}.${opType}`,
      node.name || `${opType}#${index}`,
      `has no derivative rule; supported: ${DIFFERENTIABLE_OPS.join(", ")}`,
    );
  });
  const { info, values } = await probeGraph(proto, {
    input: options.input,
    width: n,
    batch: batchValue > 0 ? batchValue : null,
    elemType: floatType,
    source,
  });
  const b = new GraphBuilder(opset, floatType, info, "∂/");
  const d = new Differentiator(b, n, new Map([...values, ...constantValues(graph)]));
  const tangents = new Map<string, Tangent>();

  // The seed: direction j moves input column j by seedScale[j], the same at every point.
  const seed = new Array<number>(n * n).fill(0);
  for (let j = 0; j < n; j++) seed[j * n + j] = seedScale[j]!;
  tangents.set(options.input, d.fromTensor(b.constant(seed, [n, 1, n]), 2));

  topologicalOrder(graph.node ?? [], source).forEach((proto, index) => {
    const node = onnxProto.onnx.NodeProto.create(proto);
    b.nodes.push(node);
    const inputTangents = (node.input ?? []).map((s) => (s === "" ? undefined : tangents.get(s)));
    if (inputTangents.every((t) => t === undefined)) return;
    const opType = node.opType ?? "";
    const name = node.name || `${opType}#${index}`;
    const rule = TANGENT_RULES.get(opType)!;
    const view: RuleNode = {
      opType,
      name,
      opset,
      inputs: node.input ?? [],
      outputs: node.output ?? [],
      attrs: new NodeAttributes(node.attribute ?? []),
    };
    let outs: (Tangent | undefined)[];
    try {
      outs = rule(view, inputTangents, d);
    } catch (error) {
      if (error instanceof UnsupportedDerivativeError) throw error;
      const why = error instanceof Error ? error.message : String(error);
      throw new UnsupportedDerivativeError(opType, name, `cannot be differentiated here: ${why}`);
    }
    view.outputs.forEach((o, k) => {
      const t = outs[k];
      if (o !== "" && t !== undefined && isFloat(b.elemType(o))) tangents.set(o, t);
    });
  });

  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  for (const target of options.targets) {
    const y = target.output;
    if (!info.has(y)) throw new TypeError(`Cannot differentiate ${source}: no value "${y}"`);
    const t = tangents.get(y);
    let dense = t === undefined ? d.zeros(y) : d.dense(t, y);
    if (target.divideBy) {
      const last = b.dims(y)[b.rank(y) - 1];
      if (!last || last[0] !== target.divideBy.length) {
        throw new RangeError(
          `Cannot differentiate ${source}: ${target.divideBy.length} output scales for output "${y}" of shape [${
            b.dims(y).map((d) => d?.[0]).join(", ")
          }]`,
        );
      }
      dense = b.op("Div", [dense, b.constant(target.divideBy, [target.divideBy.length])]);
    }
    const r = b.rank(y);
    const perm = [...Array.from({ length: r }, (_, i) => i + 1), 0];
    const outDims = [...b.dims(y), fixed(n)];
    b.emit("Transpose", [dense], [target.name], [{ name: "perm", type: 7, ints: perm }]);
    b.declare(target.name, { dims: outDims, elemType: floatType });
    outputs.push(valueInfo(target.name, { dims: outDims, elemType: floatType }));
  }

  const result = onnxProto.onnx.ModelProto.create({
    ...proto,
    graph: {
      ...graph,
      node: expandShortBroadcasts(b, b.nodes),
      initializer: [...(graph.initializer ?? []), ...b.initializers],
      output: [...(graph.output ?? []), ...outputs],
    },
  });
  return onnxProto.onnx.ModelProto.decode(onnxProto.onnx.ModelProto.encode(result).finish());
}

/**
 * The nodes in an order where every value is computed before it is used (the
 * file's order when it already is one, as ONNX requires; onnxruntime accepts
 * others).
 *
 * @throws {TypeError} If the graph has a cycle.
 */
function topologicalOrder(
  nodes: readonly onnxProto.onnx.INodeProto[],
  source: string,
): onnxProto.onnx.INodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const o of node.output ?? []) if (o !== "") producer.set(o, i);
  });
  const order: onnxProto.onnx.INodeProto[] = [];
  const state = new Uint8Array(nodes.length); // 0 new, 1 on the stack, 2 placed
  const visit = (root: number) => {
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [i, k] = top;
      const inputs = nodes[i]!.input ?? [];
      if (k < inputs.length) {
        top[1]++;
        const j = producer.get(inputs[k]!);
        if (j === undefined || state[j] === 2) continue;
        if (state[j] === 1) {
          throw new TypeError(
            `Cannot differentiate ${source}: the graph has a cycle through "${inputs[k]}"`,
          );
        }
        state[j] = 1;
        stack.push([j, 0]);
      } else {
        stack.pop();
        state[i] = 2;
        order.push(nodes[i]!);
      }
    }
  };
  nodes.forEach((_, i) => {
    if (state[i] === 0) visit(i);
  });
  return order;
}

function isFloat(elemType: number): boolean {
  return elemType === DataType.FLOAT || elemType === DataType.DOUBLE;
}

/** A graph output declaration: batch-dependent dims symbolic (`N`), the others fixed. */
function valueInfo(name: string, info: ValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: info.elemType,
        shape: {
          dim: info.dims.map((d) =>
            d !== null && d[0] === d[1] ? { dimValue: d[0] } : { dimParam: "N" }
          ),
        },
      },
    },
  };
}
