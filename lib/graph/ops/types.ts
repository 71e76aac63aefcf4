/**
 * The contract of an op translator: a table entry `{ opType, translate }`
 * that turns one ONNX node into tfjs (or host) computations, with its
 * attributes parsed once at build time.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { decodeTensorProto, toInt } from "../../onnx/tensor.ts";
import { hostFromTensor, type HostValue, type Value } from "../value.ts";

/** Decoded attribute value. */
export type AttributeValue = number | string | readonly number[] | readonly string[] | HostValue;

/** A node prepared at build time: names, opset and its attributes decoded. */
export interface PlannedNode {
  readonly opType: string;
  /** Node name, or `"<opType>#<index>"` when the exporter left it empty. */
  readonly name: string;
  /** Opset of the default domain. */
  readonly opset: number;
  /** Input value names (`""` for an omitted optional input). */
  readonly inputs: readonly string[];
  /** Output value names (`""` for an omitted optional output). */
  readonly outputs: readonly string[];
  readonly attributes: Attributes;
}

/** Typed access to a node's attributes (decoded once). */
export class Attributes {
  readonly #values: Map<string, AttributeValue>;
  readonly #where: string;

  constructor(attrs: readonly onnxProto.onnx.IAttributeProto[], where: string) {
    this.#where = where;
    this.#values = new Map();
    const T = 4; // AttributeType.TENSOR
    for (const a of attrs) {
      const name = a.name ?? "";
      switch (a.type) {
        case 1:
          this.#values.set(name, a.f ?? 0);
          break;
        case 2:
          this.#values.set(name, toInt(a.i));
          break;
        case 3:
          this.#values.set(name, new TextDecoder().decode(a.s ?? new Uint8Array()));
          break;
        case T:
          this.#values.set(
            name,
            hostFromTensor(decodeTensorProto(a.t ?? {}, `${where}: attribute "${name}"`)),
          );
          break;
        case 6:
          this.#values.set(name, [...(a.floats ?? [])]);
          break;
        case 7:
          this.#values.set(name, (a.ints ?? []).map(toInt));
          break;
        case 8:
          this.#values.set(name, (a.strings ?? []).map((s) => new TextDecoder().decode(s)));
          break;
        default:
          // Graph-valued and other attributes are not used by supported ops.
          break;
      }
    }
  }

  /** True if the attribute is present. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** Names of the attributes present. */
  names(): string[] {
    return [...this.#values.keys()];
  }

  /** A float or int attribute. @throws {TypeError} If present with another type. */
  number(name: string, fallback: number): number {
    const v = this.#values.get(name);
    if (v === undefined) return fallback;
    if (typeof v !== "number") throw this.#wrongType(name, "a number");
    return v;
  }

  /** A list-of-ints or list-of-floats attribute, or `undefined` if absent. */
  numbers(name: string): readonly number[] | undefined {
    const v = this.#values.get(name);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) {
      throw this.#wrongType(name, "a list of numbers");
    }
    return v as readonly number[];
  }

  /** A string attribute. */
  string(name: string, fallback: string): string {
    const v = this.#values.get(name);
    if (v === undefined) return fallback;
    if (typeof v !== "string") throw this.#wrongType(name, "a string");
    return v;
  }

  /** A tensor attribute, or `undefined` if absent. */
  tensor(name: string): HostValue | undefined {
    const v = this.#values.get(name);
    if (v === undefined) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) throw this.#wrongType(name, "a tensor");
    return v as HostValue;
  }

  #wrongType(name: string, what: string): TypeError {
    return new TypeError(`${this.#where}: attribute "${name}" is not ${what}`);
  }
}

/** What a translator may use besides its node and inputs. */
export interface TranslateContext {
  /** Path or label of the model, for build-time messages. */
  readonly source: string;
  /** `Cannot run the graph of <source>: node "<name>" (<opType>)`, the prefix of error messages. */
  where(node: PlannedNode): string;
}

/**
 * One op translator. `translate` gets the node's inputs (tensors or host
 * values; `undefined` for omitted optional inputs) and returns its outputs.
 * It must accept host values wherever a tensor may arrive. `host`, when
 * given, evaluates the node entirely on the host and is used when every
 * input is a host value (shape arithmetic, constant folding at build time).
 * `check` validates the node at build time; `constant(i)` is the value of
 * input `i` when known then (a host constant or an initializer; `undefined`
 * for the others).
 */
export interface OpEntry {
  readonly opType: string;
  /** What of the op is supported, when not all of it (a phrase for the README's op table). */
  readonly limits?: string;
  translate(
    node: PlannedNode,
    inputs: readonly (Value | undefined)[],
    ctx: TranslateContext,
  ): (Value | undefined)[];
  host?(
    node: PlannedNode,
    inputs: readonly (HostValue | undefined)[],
    ctx: TranslateContext,
  ): (HostValue | undefined)[];
  check?(
    node: PlannedNode,
    ctx: TranslateContext,
    constant: (i: number) => HostValue | undefined,
  ): void;
}
