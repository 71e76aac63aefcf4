/**
 * Training-mode nodes: a `Dropout` that drops at random or a
 * `BatchNormalization` that normalizes with the statistics of the batch makes
 * a model's outputs random or dependent on the other rows, so its derivatives
 * mean nothing. Such a graph is refused when it is loaded, before any engine
 * runs it (onnxruntime would run it without a word), and again by the tfjs
 * rebuild for a graph given to it directly; both use
 * {@linkcode trainingModeReason}.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { quote } from "../io/quote.ts";
import { DataType, decodeTensorProto, toInt } from "./tensor.ts";

/** What {@linkcode trainingModeReason} reads of a node. */
export interface ModeNode {
  readonly opType: string;
  /** Opset of the default domain. */
  readonly opset: number;
  /** Input value names (`""` for an omitted optional input). */
  readonly inputs: readonly string[];
  /** Output value names (`""` for an omitted optional output). */
  readonly outputs: readonly string[];
  /** Int and float attributes. */
  readonly attributes: { number(name: string, fallback: number): number };
}

const DROPOUT_ADVICE =
  "export the model in inference mode (model.eval(), the default of torch.onnx.export)";
const BATCH_NORM_ADVICE = "export the model in inference mode (model.eval())";

/**
 * Why a node runs in training mode, or `undefined` when it runs in inference
 * mode (or is of another op).
 *
 * `Dropout`: before opset 7 when `is_test` is 0 (its default); from opset 12
 * when the `training_mode` input is true (unless the ratio is a constant 0) or
 * not a constant. `BatchNormalization`: `training_mode=1`, `is_test` 0 before
 * opset 7, or running statistics among its outputs.
 *
 * @param node The node.
 * @param constant The first element of input `i` when it is a constant known
 *   before running the graph, else `undefined`.
 * @returns The reason, a phrase ending with the advice, e.g. `training_mode is
 *   true (random dropout with ratio 0.5) is not supported; export the model in
 *   inference mode (…)`.
 */
export function trainingModeReason(
  node: ModeNode,
  constant: (i: number) => number | undefined,
): string | undefined {
  if (node.opType === "Dropout") {
    if (node.opset < 7 && node.attributes.number("is_test", 0) === 0) {
      return `is_test is 0 (training mode: random dropout) is not supported; ${DROPOUT_ADVICE}`;
    }
    if ((node.inputs[2] ?? "") === "") return undefined;
    const training = constant(2);
    if (training === undefined) {
      return `training_mode is not a constant, so it may be true; ${DROPOUT_ADVICE}`;
    }
    if (training === 0) return undefined;
    const ratio = (node.inputs[1] ?? "") === "" ? 0.5 : constant(1);
    if (ratio === 0) return undefined;
    return `training_mode is true (random dropout${
      ratio === undefined ? "" : ` with ratio ${ratio}`
    }) is not supported; ${DROPOUT_ADVICE}`;
  }
  if (node.opType === "BatchNormalization") {
    if (node.attributes.number("training_mode", 0) !== 0) {
      return `training_mode=1 (batch statistics) is not supported; ${BATCH_NORM_ADVICE}`;
    }
    if (node.opset < 7 && node.attributes.number("is_test", 0) === 0) {
      return `is_test is 0 (training mode) is not supported; ${BATCH_NORM_ADVICE}`;
    }
    if (node.outputs.slice(1).some((o) => o !== "")) {
      return `outputs running statistics (training mode), which is not supported; ${BATCH_NORM_ADVICE}`;
    }
  }
  return undefined;
}

/**
 * Refuses a graph with a training-mode node (see {@linkcode trainingModeReason}).
 * Constants are initializers and `Constant` nodes, followed through `Identity`
 * and `Cast`.
 *
 * @param graph The main graph of a decoded model.
 * @param opset Opset of the default domain.
 * @param source The file, for messages.
 * @throws {RangeError} `Cannot use <source>: node "<name>" (<op>): <reason>`, for the first such node.
 */
export function checkInferenceMode(
  graph: onnxProto.onnx.IGraphProto,
  opset: number,
  source: string,
): void {
  const nodes = graph.node ?? [];
  const inDefault = (n: onnxProto.onnx.INodeProto) =>
    (n.domain ?? "") === "" || n.domain === "ai.onnx";
  const modal = nodes.flatMap((n, i) =>
    inDefault(n) && (n.opType === "Dropout" || n.opType === "BatchNormalization") ? [i] : []
  );
  if (modal.length === 0) return;
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
  const producers = new Map<string, onnxProto.onnx.INodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) if (o !== "") producers.set(o, n);
  const where = (what: string) => `${source}: ${what}`;
  const first = (t: onnxProto.onnx.ITensorProto, what: string): number | undefined => {
    const data = decodeTensorProto(t, where(what)).data;
    return data.length === 0 ? undefined : Number(data[0]);
  };
  const valueOf = (name: string, depth = 0): number | undefined => {
    const init = initializers.get(name);
    if (init) return first(init, `initializer ${quote(name, 60)}`);
    const producer = producers.get(name);
    if (!producer || !inDefault(producer) || depth > 8) return undefined;
    if (producer.opType === "Identity" || producer.opType === "Cast") {
      const v = valueOf(producer.input?.[0] ?? "", depth + 1);
      return v === undefined || producer.opType === "Identity" ? v : cast(v, producer);
    }
    if (producer.opType !== "Constant") return undefined;
    const attr = producer.attribute?.[0];
    if (!attr) return undefined;
    if (attr.t) return first(attr.t, `the constant ${quote(name, 60)}`);
    if (attr.name === "value_float") return attr.f ?? 0;
    if (attr.name === "value_int") return toInt(attr.i);
    if (attr.name === "value_floats") return attr.floats?.[0];
    if (attr.name === "value_ints") {
      return attr.ints?.[0] === undefined ? undefined : toInt(attr.ints[0]);
    }
    return undefined;
  };
  for (const i of modal) {
    const n = nodes[i]!;
    const node: ModeNode = {
      opType: n.opType ?? "",
      opset,
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attributes: { number: (name, fallback) => numberAttribute(n, name, fallback) },
    };
    const reason = trainingModeReason(node, (k) => valueOf(node.inputs[k] ?? ""));
    if (reason !== undefined) {
      throw new RangeError(
        `Cannot use ${source}: node ${
          quote(n.name || `${node.opType}#${i}`, 60)
        } (${node.opType}): ${reason}`,
      );
    }
  }
}

/** An int or float attribute of a raw node. */
function numberAttribute(n: onnxProto.onnx.INodeProto, name: string, fallback: number): number {
  const attr = (n.attribute ?? []).find((a) => a.name === name);
  if (!attr) return fallback;
  if (attr.type === 1) return attr.f ?? 0;
  if (attr.type === 2) return toInt(attr.i);
  return fallback;
}

/** A number cast as the `Cast` node says (to bool, to an integer, or unchanged). */
function cast(v: number, node: onnxProto.onnx.INodeProto): number {
  const to = numberAttribute(node, "to", 1);
  if (to === DataType.BOOL) return v !== 0 ? 1 : 0;
  return to === DataType.FLOAT || to === DataType.FLOAT16 || to === DataType.DOUBLE
    ? v
    : Math.trunc(v);
}
