/**
 * The contract of a tangent rule: one entry per ONNX op type that, given a
 * node and the tangents of its inputs, emits the nodes computing the tangents
 * of its outputs.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { toInt } from "../tensor.ts";
import type { Differentiator, Tangent } from "./_differentiator.ts";

/** A node as a rule sees it. */
export interface RuleNode {
  readonly opType: string;
  /** Node name, or `"<opType>#<index>"` when the exporter left it empty. */
  readonly name: string;
  /** Opset of the default domain. */
  readonly opset: number;
  /** Input names (`""` for an omitted optional input). */
  readonly inputs: readonly string[];
  /** Output names (`""` for an omitted optional output). */
  readonly outputs: readonly string[];
  /** Attribute access. */
  readonly attrs: NodeAttributes;
}

/** Typed read access to a node's attributes. */
export class NodeAttributes {
  readonly #byName: Map<string, onnxProto.onnx.IAttributeProto>;
  constructor(attrs: readonly onnxProto.onnx.IAttributeProto[]) {
    this.#byName = new Map(attrs.map((a) => [a.name ?? "", a]));
  }

  /** True if the attribute is present. */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** An int attribute, or `fallback`. */
  int(name: string, fallback: number): number {
    const a = this.#byName.get(name);
    return a === undefined ? fallback : toInt(a.i);
  }

  /** A float attribute, or `fallback`. */
  float(name: string, fallback: number): number {
    const a = this.#byName.get(name);
    return a === undefined ? fallback : (a.f ?? 0);
  }

  /** A list-of-ints attribute, or `undefined`. */
  ints(name: string): number[] | undefined {
    const a = this.#byName.get(name);
    return a === undefined ? undefined : (a.ints ?? []).map(toInt);
  }

  /** A string attribute, or `fallback`. */
  string(name: string, fallback: string): string {
    const a = this.#byName.get(name);
    return a === undefined ? fallback : new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  /** Every attribute, for copying onto an emitted node. */
  all(): onnxProto.onnx.IAttributeProto[] {
    return [...this.#byName.values()];
  }
}

/**
 * Emits the tangents of a node's outputs. `tangents[i]` is the tangent of
 * input `i`, `undefined` when that input does not depend on the graph input
 * (at least one is defined when the rule is called). Returns one entry per
 * output, `undefined` for an output whose derivative is zero (or that is not
 * a float).
 */
export type TangentRule = (
  node: RuleNode,
  tangents: readonly (Tangent | undefined)[],
  d: Differentiator,
) => (Tangent | undefined)[];

/** A node that the derivative graph does not support, with the reason. */
export class UnsupportedDerivativeError extends Error {
  /** The node's op type. */
  readonly opType: string;
  /** The node's name. */
  readonly nodeName: string;
  constructor(opType: string, nodeName: string, why: string) {
    super(
      `Cannot build the derivative graph: op "${opType}" (node "${nodeName}") ${why}`,
    );
    this.name = "UnsupportedDerivativeError";
    this.opType = opType;
    this.nodeName = nodeName;
  }
}
