/**
 * Rewrites, for the float64 copy of a graph, of the ops that onnxruntime's CPU
 * provider (1.30) implements for float only (Elu, Selu, Celu, HardSigmoid,
 * HardSwish, ThresholdedRelu, Softplus, Softsign, Erf, Tan, Asin, Acos, Atan,
 * Sinh, Cosh, Mean and 1-D Conv at every opset; PRelu and LeakyRelu before
 * opset 16; Clip before opset 12) into ops it implements for double. Each
 * rewrite is exact algebra except:
 *
 * - Erf, evaluated to about 1e-16 absolute: by its Maclaurin series (35
 *   terms) for |x| < 2 and by the continued fraction of erfc (64 levels) for
 *   |x| >= 2;
 * - Asin, Acos and Atan, as `atan2(s, c)` of `(x, √((1 − x)(1 + x)))`,
 *   `(√((1 − x)(1 + x)), x)` and `(x, 1)`: an octant-reduced rational guess
 *   (error < 0.005) refined twice by `y += atan(tan(θ − y))`, where
 *   `tan(θ − y) = (s cos y − c sin y) / (c cos y + s sin y)` and atan of that
 *   small value is its odd series to the 5th power (error after the first
 *   step below 1e-17, the second removes rounding);
 * - Sinh, Cosh and the exponential branches (`(e^x ∓ e^−x) / 2`,
 *   `alpha (e^x − 1)`), exact to about 1e-16 absolute, not relative near 0,
 *   which is what finite differences need.
 *
 * A 1-D Conv becomes, per kernel tap, a strided Slice of the padded input
 * times the weight's tap (Gather), summed: it needs `kernel_shape`, explicit
 * pads (or `auto_pad` VALID) and, before opset 10, stride 1; other Convs are
 * left as they are, and {@linkcode float64SessionError} names them if
 * onnxruntime refuses them.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { DataType, encodeTensorProto, type HostTensor } from "./tensor.ts";

type Node = onnxProto.onnx.INodeProto;

/** Op types rewritten by {@linkcode rewriteForFloat64}, with the opset from which onnxruntime has a double kernel. */
export const FLOAT_ONLY_OPS: ReadonlyMap<string, number> = new Map([
  ["Elu", Infinity],
  ["Selu", Infinity],
  ["Celu", Infinity],
  ["HardSigmoid", Infinity],
  ["HardSwish", Infinity],
  ["ThresholdedRelu", Infinity],
  ["Softplus", Infinity],
  ["Softsign", Infinity],
  ["Erf", Infinity],
  ["Tan", Infinity],
  ["Asin", Infinity],
  ["Acos", Infinity],
  ["Atan", Infinity],
  ["Sinh", Infinity],
  ["Cosh", Infinity],
  ["Mean", Infinity],
  ["Conv", Infinity],
  ["PRelu", 16],
  ["LeakyRelu", 16],
  ["Clip", 12],
]);

const ERF_SERIES_TERMS = 35;
const ERFC_FRACTION_DEPTH = 64;
const ERF_SPLIT = 2;

/** Builds nodes with fresh value names under a prefix. */
class Emitter {
  readonly nodes: Node[] = [];
  #count = 0;
  constructor(readonly prefix: string) {}

  fresh(): string {
    return `${this.prefix}/f64_${this.#count++}`;
  }

  op(
    opType: string,
    inputs: string[],
    output?: string,
    attribute: onnxProto.onnx.IAttributeProto[] = [],
  ): string {
    const out = output ?? this.fresh();
    this.#push(opType, inputs, [out], attribute);
    return out;
  }

  /** Several outputs (Split). */
  multi(
    opType: string,
    inputs: string[],
    outputs: number,
    attribute: onnxProto.onnx.IAttributeProto[] = [],
  ): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh());
    this.#push(opType, inputs, outs, attribute);
    return outs;
  }

  /** An int64 constant (a scalar when `dims` is `[]`). */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.#tensor({ dims, dataType: DataType.INT64, data });
  }

  /** A double scalar constant. */
  constant(value: number): string {
    return this.#tensor({ dims: [], dataType: DataType.DOUBLE, data: Float64Array.of(value) });
  }

  #tensor(t: HostTensor): string {
    const out = this.fresh();
    this.#push("Constant", [], [out], [{ name: "value", type: 4, t: encodeTensorProto("", t) }]);
    return out;
  }

  #push(
    opType: string,
    inputs: string[],
    outputs: string[],
    attribute: onnxProto.onnx.IAttributeProto[],
  ): void {
    this.nodes.push({
      opType,
      input: inputs,
      output: outputs,
      name: `${outputs[0]}_node`,
      domain: "",
      ...(attribute.length > 0 ? { attribute } : {}),
    });
  }
}

function attrFloat(node: Node, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.f ?? fallback;
}

function attrInts(node: Node, name: string): number[] | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.ints ? a.ints.map(Number) : undefined;
}

function attrInt(node: Node, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
}

function attrString(node: Node, name: string, fallback: string): string {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

const int = (name: string, i: number) => ({ name, type: 2, i });
const intList = (name: string, ints: number[]) => ({ name, type: 7, ints });

/** `atan2(s, c)` in `(-π, π]`: a rational guess refined twice (see the module doc). */
function atan2(e: Emitter, s: string, c: string, output: string): string {
  const as = e.op("Abs", [s]);
  const ac = e.op("Abs", [c]);
  const a = e.op("Div", [e.op("Min", [as, ac]), e.op("Max", [as, ac])]);
  const guess = e.op("Div", [
    a,
    e.op("Add", [e.constant(1), e.op("Mul", [e.constant(0.28), e.op("Mul", [a, a])])]),
  ]);
  const steep = e.op("Where", [
    e.op("Greater", [as, ac]),
    e.op("Sub", [e.constant(Math.PI / 2), guess]),
    guess,
  ]);
  const left = e.op("Where", [
    e.op("Less", [c, e.constant(0)]),
    e.op("Sub", [e.constant(Math.PI), steep]),
    steep,
  ]);
  let y = e.op("Where", [e.op("Less", [s, e.constant(0)]), e.op("Neg", [left]), left]);
  for (let step = 0; step < 2; step++) {
    const cos = e.op("Cos", [y]);
    const sin = e.op("Sin", [y]);
    const t = e.op("Div", [
      e.op("Sub", [e.op("Mul", [s, cos]), e.op("Mul", [c, sin])]),
      e.op("Add", [e.op("Mul", [c, cos]), e.op("Mul", [s, sin])]),
    ]);
    // atan(t) = t (1 - t²/3 + t⁴/5), Horner in t².
    const t2 = e.op("Mul", [t, t]);
    const poly = e.op("Add", [
      e.constant(1),
      e.op("Mul", [t2, e.op("Add", [e.constant(-1 / 3), e.op("Mul", [t2, e.constant(1 / 5)])])]),
    ]);
    y = e.op("Add", [y, e.op("Mul", [t, poly])], step === 1 ? output : undefined);
  }
  return y;
}

/** `√((1 − x)(1 + x))`, accurate near |x| = 1. */
function cosOfAsin(e: Emitter, x: string): string {
  const one = e.constant(1);
  return e.op("Sqrt", [e.op("Mul", [e.op("Sub", [one, x]), e.op("Add", [one, x])])]);
}

/**
 * A 1-D Conv as a sum over kernel taps of `weight[:, :, k] · xpad[:, :, k d :: s]`
 * (per group), or `undefined` when it cannot be rewritten without shapes.
 */
function conv1d(e: Emitter, node: Node, opset: number, y: string): string | undefined {
  const kernel = attrInts(node, "kernel_shape");
  const autoPad = attrString(node, "auto_pad", "NOTSET");
  if (kernel?.length !== 1 || (autoPad !== "NOTSET" && autoPad !== "VALID")) return undefined;
  const k = kernel[0]!;
  const s = attrInts(node, "strides")?.[0] ?? 1;
  const d = attrInts(node, "dilations")?.[0] ?? 1;
  const g = attrInt(node, "group", 1);
  const pads = autoPad === "VALID" ? [0, 0] : attrInts(node, "pads") ?? [0, 0];
  if (opset < 10 && s !== 1) return undefined;
  const [x, w, b] = [node.input?.[0] ?? "", node.input?.[1] ?? "", node.input?.[2] ?? ""];
  let xp = x;
  if (pads.some((p) => p !== 0)) {
    const full = [0, 0, pads[0]!, 0, 0, pads[1]!];
    xp = opset >= 11
      ? e.op("Pad", [x, e.ints(full)])
      : e.op("Pad", [x], undefined, [intList("pads", full), { name: "value", type: 1, f: 0 }]);
  }
  const splitAttrs = (parts: number) => [
    int("axis", 0),
    ...(opset >= 18 ? [int("num_outputs", parts)] : []),
  ];
  const weights = g === 1 ? [w] : e.multi("Split", [w], g, splitAttrs(g));
  const terms: string[] = [];
  for (let tap = 0; tap < k; tap++) {
    const start = tap * d;
    const back = (k - 1 - tap) * d;
    const end = back === 0 ? Number.MAX_SAFE_INTEGER : -back;
    const sliced = opset >= 10
      ? e.op("Slice", [xp, e.ints([start]), e.ints([end]), e.ints([2]), e.ints([s])])
      : e.op("Slice", [xp], undefined, [
        intList("starts", [start]),
        intList("ends", [end]),
        intList("axes", [2]),
      ]);
    const groups = g === 1 ? [sliced] : e.multi("Split", [sliced], g, [
      int("axis", 1),
      ...(opset >= 18 ? [int("num_outputs", g)] : []),
    ]);
    const products = groups.map((part, j) =>
      e.op("MatMul", [
        e.op("Gather", [weights[j]!, e.ints([tap], [])], undefined, [int("axis", 2)]),
        part,
      ])
    );
    terms.push(
      products.length === 1 ? products[0]! : e.op("Concat", products, undefined, [int("axis", 1)]),
    );
  }
  const total = terms.length === 1 ? terms[0]! : e.op("Sum", terms);
  if (b === "") return e.op("Identity", [total], y);
  return e.op("Add", [total, e.op("Reshape", [b, e.ints([-1, 1])])], y);
}

function elu(e: Emitter, x: string, alpha: number, output?: string): string {
  const neg = e.op("Min", [x, e.constant(0)]);
  const expm1 = e.op("Sub", [e.op("Exp", [neg]), e.constant(1)]);
  return e.op("Add", [e.op("Relu", [x]), e.op("Mul", [expm1, e.constant(alpha)])], output);
}

function erf(e: Emitter, x: string, output: string): string {
  const a = e.op("Abs", [x]);
  // |x| < 2: erf(x) = 2/sqrt(pi) * x * sum_n (-1)^n x^(2n) / (n! (2n + 1)), Horner in x^2.
  const t = e.op("Mul", [x, x]);
  const coefficients: number[] = [];
  let factorial = 1;
  for (let n = 0; n <= ERF_SERIES_TERMS; n++) {
    if (n > 0) factorial *= n;
    coefficients.push((n % 2 === 0 ? 1 : -1) / (factorial * (2 * n + 1)));
  }
  let p = e.constant(coefficients[ERF_SERIES_TERMS]!);
  for (let n = ERF_SERIES_TERMS - 1; n >= 0; n--) {
    p = e.op("Add", [e.op("Mul", [p, t]), e.constant(coefficients[n]!)]);
  }
  const series = e.op("Mul", [e.op("Mul", [p, x]), e.constant(2 / Math.sqrt(Math.PI))]);
  // |x| >= 2: erfc(z) = exp(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...)))).
  const z = e.op("Max", [a, e.constant(ERF_SPLIT)]);
  let f = z;
  for (let k = ERFC_FRACTION_DEPTH; k >= 1; k--) {
    f = e.op("Add", [z, e.op("Div", [e.constant(k / 2), f])]);
  }
  const gauss = e.op("Exp", [e.op("Neg", [e.op("Mul", [z, z])])]);
  const erfc = e.op("Div", [e.op("Mul", [gauss, e.constant(1 / Math.sqrt(Math.PI))]), f]);
  const tail = e.op("Mul", [e.op("Sub", [e.constant(1), erfc]), e.op("Sign", [x])]);
  const near = e.op("Less", [a, e.constant(ERF_SPLIT)]);
  return e.op("Where", [near, series, tail], output);
}

/**
 * The nodes that replace `node` in a double graph, or `undefined` if it needs
 * no rewrite.
 */
export function rewriteForFloat64(node: Node, index: number, opset: number): Node[] | undefined {
  const opType = node.opType ?? "";
  const since = FLOAT_ONLY_OPS.get(opType);
  if ((node.domain ?? "") !== "" || since === undefined || opset >= since) return undefined;
  const x = node.input?.[0] ?? "";
  const y = node.output?.[0] ?? "";
  const e = new Emitter(`${node.name || `${opType}_${index}`}`);
  switch (opType) {
    case "Celu": {
      const alpha = attrFloat(node, "alpha", 1);
      const neg = e.op("Div", [e.op("Min", [x, e.constant(0)]), e.constant(alpha)]);
      const expm1 = e.op("Sub", [e.op("Exp", [neg]), e.constant(1)]);
      e.op("Add", [e.op("Relu", [x]), e.op("Mul", [expm1, e.constant(alpha)])], y);
      break;
    }
    case "HardSwish": {
      const lin = e.op("Add", [e.op("Mul", [x, e.constant(1 / 6)]), e.constant(0.5)]);
      const gate = e.op("Min", [e.op("Max", [lin, e.constant(0)]), e.constant(1)]);
      e.op("Mul", [x, gate], y);
      break;
    }
    case "ThresholdedRelu": {
      const alpha = e.constant(attrFloat(node, "alpha", 1));
      e.op("Where", [e.op("Greater", [x, alpha]), x, e.constant(0)], y);
      break;
    }
    case "PRelu":
      e.op("Add", [
        e.op("Relu", [x]),
        e.op("Mul", [e.op("Min", [x, e.constant(0)]), node.input?.[1] ?? ""]),
      ], y);
      break;
    case "Tan":
      e.op("Div", [e.op("Sin", [x]), e.op("Cos", [x])], y);
      break;
    case "Atan":
      atan2(e, x, e.constant(1), y);
      break;
    case "Asin":
      atan2(e, x, cosOfAsin(e, x), y);
      break;
    case "Acos":
      atan2(e, cosOfAsin(e, x), x, y);
      break;
    case "Sinh":
    case "Cosh": {
      const pair = [e.op("Exp", [x]), e.op("Exp", [e.op("Neg", [x])])];
      e.op("Mul", [e.op(opType === "Sinh" ? "Sub" : "Add", pair), e.constant(0.5)], y);
      break;
    }
    case "Mean": {
      const terms = (node.input ?? []).filter((v) => v !== "");
      e.op("Div", [e.op("Sum", terms), e.constant(terms.length)], y);
      break;
    }
    case "Conv":
      if (conv1d(e, node, opset, y) === undefined) return undefined;
      break;
    case "Elu":
      elu(e, x, attrFloat(node, "alpha", 1), y);
      break;
    case "Selu": {
      const inner = elu(e, x, attrFloat(node, "alpha", 1.67326319217681884765625));
      e.op("Mul", [inner, e.constant(attrFloat(node, "gamma", 1.05070102214813232421875))], y);
      break;
    }
    case "HardSigmoid": {
      const lin = e.op("Add", [
        e.op("Mul", [x, e.constant(attrFloat(node, "alpha", Math.fround(0.2)))]),
        e.constant(attrFloat(node, "beta", 0.5)),
      ]);
      e.op("Min", [e.op("Max", [lin, e.constant(0)]), e.constant(1)], y);
      break;
    }
    case "Softplus": {
      // max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|.
      const tail = e.op("Log", [
        e.op("Add", [e.op("Exp", [e.op("Neg", [e.op("Abs", [x])])]), e.constant(1)]),
      ]);
      e.op("Add", [e.op("Relu", [x]), tail], y);
      break;
    }
    case "Softsign":
      e.op("Div", [x, e.op("Add", [e.op("Abs", [x]), e.constant(1)])], y);
      break;
    case "Erf":
      erf(e, x, y);
      break;
    case "LeakyRelu":
      e.op("Add", [
        e.op("Relu", [x]),
        e.op("Mul", [
          e.op("Min", [x, e.constant(0)]),
          e.constant(attrFloat(node, "alpha", Math.fround(0.01))),
        ]),
      ], y);
      break;
    case "Clip": {
      // Before opset 11 the bounds are attributes; from 11 optional inputs.
      const lo = opset < 11
        ? e.constant(attrFloat(node, "min", -Infinity))
        : node.input?.[1] || undefined;
      const hi = opset < 11
        ? e.constant(attrFloat(node, "max", Infinity))
        : node.input?.[2] || undefined;
      const low = lo ? e.op("Max", [x, lo]) : x;
      if (hi) e.op("Min", [low, hi], y);
      else e.op("Identity", [low], y);
      break;
    }
  }
  return e.nodes;
}

/**
 * The error for onnxruntime refusing to create a session for the float64
 * copy of `source`: it names the file, says it is the float64 copy (made for
 * finite differences) and, when onnxruntime's message tells, the op and node
 * that has no double kernel.
 *
 * @param error What `InferenceSession.create` threw.
 * @param source Path or label of the model.
 */
export function float64SessionError(error: unknown, source: string): TypeError {
  const text = error instanceof Error ? error.message : String(error);
  const where =
    `Cannot run the float64 copy of ${source} (made for finite differences) in onnxruntime`;
  const missing = /implementation for (\w+)\((\d+)\) node with name '([^']*)'/.exec(text);
  const typed = /of operator \((\w+)\) in node \(([^)]*)\)/.exec(text);
  const [op, version, nodeName] = missing
    ? [missing[1], ` (version ${missing[2]})`, missing[3]]
    : typed
    ? [typed[1], "", typed[2]]
    : [undefined, "", ""];
  if (op === undefined) return new TypeError(`${where}: ${text.split("\n")[0]}`);
  return new TypeError(
    `${where}: it has no double kernel for op "${op}"${version}${
      nodeName ? ` (node "${nodeName}")` : ""
    }; the rebuild and float32 commands still work`,
  );
}
