/**
 * The generic graph interpreter: plans an ONNX graph once (support check,
 * attributes decoded, constants folded on the host, float initializers
 * uploaded as tfjs tensors) and then evaluates it node by node with the
 * translators of the op registry.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { tf } from "../tf/backend.ts";
import { decodeTensorProto, type HostTensor, isFloatType } from "../onnx/tensor.ts";
import { type UnsupportedOp, UnsupportedOpError } from "./errors.ts";
import {
  Attributes,
  OP_REGISTRY,
  type OpEntry,
  type PlannedNode,
  SUPPORTED_OPS,
} from "./ops/mod.ts";
import type { TranslateContext } from "./ops/types.ts";
import { hostFromTensor, type HostValue, isHost, toHost, type Value } from "./value.ts";

/** Options of {@linkcode compileGraph}. */
export interface CompileGraphOptions {
  /** Opset of the default domain. */
  opset: number;
  /**
   * Path or label used in messages.
   * @default {"the model"}
   */
  source?: string;
  /**
   * Replacement values for initializers (same dims), e.g. mapped PyTorch weights.
   * @default {undefined} (the graph's own values)
   */
  parameters?: ReadonlyMap<string, HostTensor>;
}

/** A planned graph, ready to evaluate many times. */
export interface CompiledGraph {
  /** Graph inputs that are not initializers, in graph order. */
  readonly inputNames: readonly string[];
  /** Graph outputs, in graph order. */
  readonly outputNames: readonly string[];
  /** Float initializers as float32 tensors, by name (owned: disposed by `dispose`). */
  readonly parameters: ReadonlyMap<string, tf.Tensor>;
  /** Op types of the nodes evaluated per call (the others were folded at build time). */
  readonly runtimeOps: readonly string[];
  /**
   * Evaluates the graph. Creates tensors without disposing them: call inside `tf.tidy`.
   *
   * @param feeds A value for every name of `inputNames`.
   * @param overrides Tensors replacing named float initializers for this call.
   * @returns The values of `outputNames`, in order.
   * @throws {RangeError} If an override names no float initializer or has other dims.
   */
  run(feeds: ReadonlyMap<string, Value>, overrides?: ReadonlyMap<string, tf.Tensor>): Value[];
  /** Disposes the parameter tensors. */
  dispose(): void;
}

interface Step {
  readonly node: PlannedNode;
  readonly entry: OpEntry;
}

/**
 * Plans `graph` for evaluation with tfjs.
 *
 * @throws {UnsupportedOpError} Naming every op (or domain) that has no translator.
 * @throws {UnsupportedNodeError} For a node of a supported op used in an unsupported way.
 * @throws {TypeError} For a node that uses a value before it is defined, or unsupported attributes.
 * @throws {RangeError} If `options.parameters` names an unknown initializer or changes its dims.
 */
export function compileGraph(
  graph: onnxProto.onnx.IGraphProto,
  options: CompileGraphOptions,
): CompiledGraph {
  const source = options.source ?? "the model";
  const opset = options.opset;
  const ctx: TranslateContext = {
    source,
    where: (node) => `Cannot run the graph of ${source}: node "${node.name}" (${node.opType})`,
  };
  const nodes = graph.node ?? [];

  // 1. Every op supported, checked before anything else is built; all unsupported ops named.
  const unsupported = new Map<string, UnsupportedOp>();
  nodes.forEach((n, i) => {
    const opType = n.opType ?? "";
    const domain = n.domain ?? "";
    const inDefault = domain === "" || domain === "ai.onnx";
    if (inDefault && OP_REGISTRY.has(opType)) return;
    const key = `${domain}\u0000${opType}`;
    const seen = unsupported.get(key);
    unsupported.set(
      key,
      seen
        ? { ...seen, count: seen.count + 1 }
        : { opType, domain, nodeName: n.name || `${opType}#${i}`, count: 1 },
    );
  });
  if (unsupported.size > 0) {
    throw new UnsupportedOpError([...unsupported.values()], {
      opset,
      source,
      supported: SUPPORTED_OPS,
    });
  }

  // 2. Initializers: float ones become parameters, the others host constants.
  const replacements = options.parameters ?? new Map<string, HostTensor>();
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ""));
  for (const name of replacements.keys()) {
    if (!initNames.has(name)) {
      throw new RangeError(`Cannot build the graph of ${source}: "${name}" is not an initializer`);
    }
  }
  const statics = new Map<string, HostValue>();
  const parameters = new Map<string, tf.Tensor>();
  try {
    for (const t of graph.initializer ?? []) {
      const name = t.name ?? "";
      const own = decodeTensorProto(t, `${source}: initializer "${name}"`);
      const given = replacements.get(name);
      if (given && !sameDims(given.dims, own.dims)) {
        throw new RangeError(
          `Cannot build the graph of ${source}: initializer "${name}" has shape [${
            own.dims.join(", ")
          }] but the replacement has shape [${given.dims.join(", ")}]`,
        );
      }
      const value = given ?? own;
      if (isFloatType(own.dataType)) {
        const data = Float32Array.from(value.data as Float32Array | Float64Array);
        parameters.set(name, tf.keep(tf.tensor(data, [...value.dims], "float32")));
      } else {
        statics.set(name, hostFromTensor(value));
      }
    }

    // 3. Plan nodes in order, folding those whose inputs are all host constants.
    const inputNames = (graph.input ?? []).map((v) => v.name ?? "").filter((n) =>
      !initNames.has(n)
    );
    const defined = new Set<string>([...inputNames, ...initNames]);
    const steps: Step[] = [];
    nodes.forEach((n, i) => {
      const opType = n.opType ?? "";
      const name = n.name || `${opType}#${i}`;
      const node: PlannedNode = {
        opType,
        name,
        opset,
        inputs: [...(n.input ?? [])],
        outputs: [...(n.output ?? [])],
        attributes: new Attributes(n.attribute ?? [], `${source}: node "${name}" (${opType})`),
      };
      const entry = OP_REGISTRY.get(opType)!;
      for (const input of node.inputs) {
        if (input !== "" && !defined.has(input)) {
          throw new TypeError(
            `Cannot build the graph of ${source}: node "${name}" uses "${input}" before it is defined`,
          );
        }
      }
      entry.check?.(node, ctx, (k) => {
        const s = node.inputs[k] ?? "";
        const p = parameters.get(s);
        return statics.get(s) ?? (p && toHost(p));
      });
      const present = node.inputs.filter((s) => s !== "");
      if (entry.host && present.every((s) => statics.has(s))) {
        let outs: (HostValue | undefined)[];
        try {
          outs = entry.host(
            node,
            node.inputs.map((s) => (s === "" ? undefined : statics.get(s))),
            ctx,
          );
        } catch (error) {
          // Folding a constant can fail like running the node (a size tfjs cannot allocate).
          throw nodeError(error, ctx.where(node));
        }
        node.outputs.forEach((o, k) => {
          const v = outs[k];
          if (o !== "" && v !== undefined) statics.set(o, v);
        });
      } else {
        steps.push({ node, entry });
      }
      for (const o of node.outputs) if (o !== "") defined.add(o);
    });
    const outputNames = (graph.output ?? []).map((v) => v.name ?? "");
    for (const o of outputNames) {
      if (!defined.has(o)) {
        throw new TypeError(`Cannot build the graph of ${source}: output "${o}" is never computed`);
      }
    }

    return {
      inputNames,
      outputNames,
      parameters,
      runtimeOps: steps.map((s) => s.node.opType),
      run(feeds, overrides) {
        const values = new Map<string, Value>(statics);
        for (const [name, t] of parameters) values.set(name, t);
        if (overrides) {
          for (const [name, t] of overrides) {
            const own = parameters.get(name);
            if (!own) {
              throw new RangeError(
                `Cannot run the graph of ${source}: override "${name}" is not a float initializer`,
              );
            }
            if (!sameDims(own.shape, t.shape)) {
              throw new RangeError(
                `Cannot run the graph of ${source}: override "${name}" has shape [${
                  t.shape.join(", ")
                }], expected [${own.shape.join(", ")}]`,
              );
            }
            values.set(name, t);
          }
        }
        for (const name of inputNames) {
          const v = feeds.get(name);
          if (v === undefined) {
            throw new TypeError(`Cannot run the graph of ${source}: no value for input "${name}"`);
          }
          values.set(name, v);
        }
        for (const { node, entry } of steps) {
          const ins = node.inputs.map((s) => (s === "" ? undefined : values.get(s)));
          const allHost = ins.every((v) => v === undefined || isHost(v));
          let outs: (Value | undefined)[];
          try {
            outs = allHost && entry.host
              ? entry.host(node, ins as (HostValue | undefined)[], ctx)
              : entry.translate(node, ins, ctx);
          } catch (error) {
            throw nodeError(error, ctx.where(node));
          }
          node.outputs.forEach((o, k) => {
            const v = outs[k];
            if (o !== "" && v !== undefined) values.set(o, v);
          });
        }
        return outputNames.map((o) => values.get(o)!);
      },
      dispose() {
        for (const t of parameters.values()) t.dispose();
      },
    };
  } catch (error) {
    for (const t of parameters.values()) t.dispose();
    throw error;
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Prefixes a translator's error with the node, keeping its class. */
function nodeError(error: unknown, where: string): Error {
  if (!(error instanceof Error)) return new Error(`${where}: ${String(error)}`);
  if (error.message.startsWith(where)) return error;
  const Ctor = error instanceof RangeError
    ? RangeError
    : error instanceof TypeError
    ? TypeError
    : Error;
  return new Ctor(`${where}: ${error.message.split("\n")[0]}`);
}
