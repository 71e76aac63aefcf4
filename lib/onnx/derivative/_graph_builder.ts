/**
 * Appends nodes and constants to an ONNX graph under construction, keeping
 * the static shape and element type of every value it knows: the probed
 * values of the original graph and every value it emits. Opset-aware helpers
 * hide the attribute-vs-input forms of Unsqueeze, Squeeze and the reductions.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { DataType, encodeTensorProto } from "../tensor.ts";

/**
 * A static dim: its size at the two probe batch sizes (equal for dims that do
 * not depend on the batch), or `null` when not known at build time.
 */
export type Dim = readonly [number, number] | null;

/** Static dims of a value; the rank is always known. */
export type Dims = readonly Dim[];

/** What is known of a value at build time. */
export interface ValueInfo {
  readonly dims: Dims;
  /** ONNX element type code. */
  readonly elemType: number;
}

type Node = onnxProto.onnx.INodeProto;
type Attribute = onnxProto.onnx.IAttributeProto;

/** Attribute builders. */
export const attribute = {
  int: (name: string, i: number): Attribute => ({ name, type: 2, i }),
  ints: (name: string, ints: readonly number[]): Attribute => ({ name, type: 7, ints: [...ints] }),
  float: (name: string, f: number): Attribute => ({ name, type: 1, f }),
  string: (name: string, s: string): Attribute => ({
    name,
    type: 3,
    s: new TextEncoder().encode(s),
  }),
};

const COMPARISONS = new Set(["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]);
const LOGICAL = new Set(["And", "Or", "Xor"]);
const BROADCASTING = new Set(["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Where", "PRelu"]);
const SAME_SHAPE = new Set([
  "Neg",
  "Abs",
  "Sqrt",
  "Exp",
  "Log",
  "Sin",
  "Cos",
  "Tan",
  "Sinh",
  "Cosh",
  "Reciprocal",
  "Relu",
  "Sigmoid",
  "Tanh",
  "Softplus",
  "Sign",
  "Erf",
  "Not",
  "Identity",
  "Cast",
]);

/** A dim of size 1 at both probe sizes. */
export function isOne(d: Dim): boolean {
  return d !== null && d[0] === 1 && d[1] === 1;
}

/** True when both dims are known and equal. */
export function sameDim(a: Dim, b: Dim): boolean {
  return a !== null && b !== null && a[0] === b[0] && a[1] === b[1];
}

/** True when both dim lists are fully known and equal. */
export function sameDims(a: Dims, b: Dims): boolean {
  return a.length === b.length && a.every((d, i) => sameDim(d, b[i]!));
}

/** Numpy broadcasting of static dims (unknown where it cannot be decided). */
export function broadcastDims(...all: Dims[]): Dim[] {
  const rank = Math.max(...all.map((d) => d.length));
  const out: Dim[] = [];
  for (let k = 0; k < rank; k++) {
    let acc: Dim = [1, 1];
    let unknown = false;
    for (const dims of all) {
      const d = dims[dims.length - rank + k];
      if (d === undefined || isOne(d)) continue;
      if (d === null) {
        unknown = true;
        continue;
      }
      if (isOne(acc)) acc = d;
      else if (!sameDim(acc, d)) {
        throw new TypeError(
          `Cannot build the derivative graph: dims [${d.join("/")}] and [${
            acc!.join("/")
          }] do not broadcast`,
        );
      }
    }
    out.push(unknown && isOne(acc) ? null : acc);
  }
  return out;
}

/** A constant dim. */
export function fixed(size: number): Dim {
  return [size, size];
}

/** Builds nodes and initializers with fresh names, tracking what it knows of each value. */
export class GraphBuilder {
  /** The emitted nodes, in order. */
  readonly nodes: Node[] = [];
  /** The emitted initializers. */
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #info: Map<string, ValueInfo>;
  readonly #taken: Set<string>;
  readonly #constants = new Map<string, string>();
  readonly #memo = new Map<string, string>();
  #count = 0;

  /**
   * @param opset Opset of the default domain (decides the forms of emitted ops).
   * @param floatType Element type of the graph's float values (FLOAT or DOUBLE).
   * @param info What is known of the values that already exist.
   * @param prefix Prefix of fresh names.
   */
  constructor(
    readonly opset: number,
    readonly floatType: number,
    info: ReadonlyMap<string, ValueInfo>,
    readonly prefix: string,
  ) {
    this.#info = new Map(info);
    this.#taken = new Set(info.keys());
  }

  /** Static dims of a value. @throws {TypeError} If the value is unknown. */
  dims(name: string): Dims {
    return this.infoOf(name).dims;
  }

  /** Rank of a value. */
  rank(name: string): number {
    return this.dims(name).length;
  }

  /** Element type of a value. */
  elemType(name: string): number {
    return this.infoOf(name).elemType;
  }

  /** True if something is known of a value. */
  knows(name: string): boolean {
    return this.#info.has(name);
  }

  /** What is known of a value. @throws {TypeError} If nothing is. */
  infoOf(name: string): ValueInfo {
    const info = this.#info.get(name);
    if (!info) {
      throw new TypeError(`Cannot build the derivative graph: value "${name}" has no known shape`);
    }
    return info;
  }

  /** Records what is known of an existing value. */
  declare(name: string, info: ValueInfo): void {
    this.#info.set(name, info);
    this.#taken.add(name);
  }

  /** A name no value has. */
  fresh(hint: string): string {
    let name: string;
    do name = `${this.prefix}${hint}_${this.#count++}`; while (this.#taken.has(name));
    this.#taken.add(name);
    return name;
  }

  /**
   * Emits one node with one output and returns the output's name. The output's
   * dims are inferred for elementwise ops and must be given for the others.
   */
  op(
    opType: string,
    inputs: readonly string[],
    options: { attributes?: Attribute[]; dims?: Dims; elemType?: number; hint?: string } = {},
  ): string {
    if (this.opset < 12 && (opType === "GreaterOrEqual" || opType === "LessOrEqual")) {
      const strict = this.op(opType === "GreaterOrEqual" ? "Less" : "Greater", inputs);
      return this.op("Not", [strict]);
    }
    const output = this.fresh(options.hint ?? opType.toLowerCase());
    this.emit(opType, inputs, [output], options.attributes ?? []);
    this.declare(output, this.#inferInfo(opType, inputs, options));
    return output;
  }

  /** Emits a node with given outputs (their info declared by the caller). */
  emit(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Attribute[]) {
    this.nodes.push({
      opType,
      domain: "",
      name: `${outputs[0] ?? this.fresh("node")}_node`,
      input: [...inputs],
      output: [...outputs],
      attribute: attrs,
    });
  }

  /** The result of `make()` cached under `key` (the same expression is emitted once). */
  memo(key: string, make: () => string): string {
    let name = this.#memo.get(key);
    if (name === undefined) {
      name = make();
      this.#memo.set(key, name);
    }
    return name;
  }

  /** A constant initializer (float values in the graph's float type unless `elemType` says). */
  constant(values: readonly number[], dims: readonly number[], elemType?: number): string {
    const type = elemType ?? this.floatType;
    const key = `${type}:${dims.join("x")}:${values.join(",")}`;
    let name = this.#constants.get(key);
    if (name === undefined) {
      name = this.fresh("const");
      const data = type === DataType.DOUBLE
        ? Float64Array.from(values)
        : type === DataType.FLOAT
        ? Float32Array.from(values)
        : type === DataType.INT64
        ? BigInt64Array.from(values.map((v) => BigInt(v)))
        : Uint8Array.from(values);
      this.initializers.push(encodeTensorProto(name, { dims, dataType: type, data }));
      this.declare(name, { dims: dims.map(fixed), elemType: type });
      this.#constants.set(key, name);
    }
    return name;
  }

  /** A float scalar constant. */
  scalar(value: number): string {
    return this.constant([value], []);
  }

  /** An int64 vector constant. */
  int64s(values: readonly number[]): string {
    return this.constant(values, [values.length], DataType.INT64);
  }

  /** `Unsqueeze(x, axes)` with axes of the output (non-negative). */
  unsqueeze(x: string, axes: readonly number[]): string {
    if (axes.length === 0) return x;
    const inDims = this.dims(x);
    const rank = inDims.length + axes.length;
    const set = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
    const dims: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) dims.push(set.has(i) ? fixed(1) : inDims[j++]!);
    return this.memo(
      `unsqueeze:${x}:${[...set].sort().join(",")}`,
      () =>
        this.opset >= 13
          ? this.op("Unsqueeze", [x, this.int64s([...set].sort((a, b) => a - b))], { dims })
          : this.op("Unsqueeze", [x], {
            attributes: [attribute.ints("axes", [...set].sort((a, b) => a - b))],
            dims,
          }),
    );
  }

  /** `Squeeze(x, axes)` with non-negative axes of sizes 1. */
  squeeze(x: string, axes: readonly number[]): string {
    if (axes.length === 0) return x;
    const set = new Set(axes);
    const dims = this.dims(x).filter((_, i) => !set.has(i));
    const sorted = [...set].sort((a, b) => a - b);
    return this.opset >= 13
      ? this.op("Squeeze", [x, this.int64s(sorted)], { dims })
      : this.op("Squeeze", [x], { attributes: [attribute.ints("axes", sorted)], dims });
  }

  /** `ReduceSum`/`ReduceMean`/`ReduceMax`/`ReduceMin` over non-negative axes. */
  reduce(opType: string, x: string, axes: readonly number[], keepDims: boolean): string {
    const set = new Set(axes);
    const inDims = this.dims(x);
    const dims = keepDims
      ? inDims.map((d, i) => (set.has(i) ? fixed(1) : d))
      : inDims.filter((_, i) => !set.has(i));
    const sorted = [...set].sort((a, b) => a - b);
    const keep = attribute.int("keepdims", keepDims ? 1 : 0);
    const axesAsInput = opType === "ReduceSum" ? this.opset >= 13 : this.opset >= 18;
    return axesAsInput
      ? this.op(opType, [x, this.int64s(sorted)], { attributes: [keep], dims })
      : this.op(opType, [x], { attributes: [attribute.ints("axes", sorted), keep], dims });
  }

  /** `Cast(x, to)`. */
  cast(x: string, to: number): string {
    if (this.elemType(x) === to) return x;
    return this.op("Cast", [x], { attributes: [attribute.int("to", to)], elemType: to });
  }

  /** `Shape(x)` as an int64 vector (cached). */
  shape(x: string): string {
    return this.memo(
      `shape:${x}`,
      () => this.op("Shape", [x], { dims: [fixed(this.rank(x))], elemType: DataType.INT64 }),
    );
  }

  /** `Transpose(x, perm)`. */
  transpose(x: string, perm: readonly number[]): string {
    const dims = this.dims(x);
    return this.op("Transpose", [x], {
      attributes: [attribute.ints("perm", perm)],
      dims: perm.map((p) => dims[p]!),
    });
  }

  /** `MatMul(a, b)` of operands of rank ≥ 2 with numpy batch broadcasting. */
  matMul(a: string, b: string): string {
    const da = this.dims(a);
    const db = this.dims(b);
    const batch = broadcastDims(da.slice(0, -2), db.slice(0, -2));
    return this.op("MatMul", [a, b], { dims: [...batch, da[da.length - 2]!, db[db.length - 1]!] });
  }

  #inferInfo(
    opType: string,
    inputs: readonly string[],
    options: { dims?: Dims; elemType?: number },
  ): ValueInfo {
    const present = inputs.filter((s) => s !== "");
    let elemType = options.elemType;
    if (elemType === undefined) {
      if (COMPARISONS.has(opType) || LOGICAL.has(opType) || opType === "Not") {
        elemType = DataType.BOOL;
      } else if (opType === "Where") elemType = this.elemType(present[1]!);
      else if (present.length > 0 && this.#info.has(present[0]!)) {
        elemType = this.elemType(present[0]!);
      } else elemType = this.floatType;
    }
    if (options.dims) return { dims: options.dims, elemType };
    if (
      BROADCASTING.has(opType) || COMPARISONS.has(opType) || LOGICAL.has(opType)
    ) {
      return { dims: broadcastDims(...present.map((s) => this.dims(s))), elemType };
    }
    if (SAME_SHAPE.has(opType)) return { dims: this.dims(present[0]!), elemType };
    throw new TypeError(
      `Cannot build the derivative graph: no dims given for an emitted ${opType}`,
    );
  }
}
