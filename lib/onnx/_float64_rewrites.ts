/**
 * Rewrites, for the float64 copy of a graph, of the ops that onnxruntime's CPU
 * provider implements for float only (Elu, Selu, HardSigmoid, Softplus,
 * Softsign, Erf at every opset; LeakyRelu before opset 16; Clip before opset
 * 12) into ops it implements for double. Each rewrite is exact
 * algebra except Erf, which is evaluated to about 1e-16 absolute: by its
 * Maclaurin series (35 terms) for |x| < 2 and by the continued fraction of
 * erfc (64 levels) for |x| >= 2.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { DataType, encodeTensorProto } from "./tensor.ts";

type Node = onnxProto.onnx.INodeProto;

/** Op types rewritten by {@linkcode rewriteForFloat64}, with the opset from which onnxruntime has a double kernel. */
export const FLOAT_ONLY_OPS: ReadonlyMap<string, number> = new Map([
  ["Elu", Infinity],
  ["Selu", Infinity],
  ["HardSigmoid", Infinity],
  ["Softplus", Infinity],
  ["Softsign", Infinity],
  ["Erf", Infinity],
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

  op(opType: string, inputs: string[], output?: string): string {
    const out = output ?? this.fresh();
    this.nodes.push({ opType, input: inputs, output: [out], name: `${out}_node`, domain: "" });
    return out;
  }

  constant(value: number): string {
    const out = this.fresh();
    this.nodes.push({
      opType: "Constant",
      input: [],
      output: [out],
      name: `${out}_node`,
      domain: "",
      attribute: [{
        name: "value",
        type: 4,
        t: encodeTensorProto("", {
          dims: [],
          dataType: DataType.DOUBLE,
          data: Float64Array.of(value),
        }),
      }],
    });
    return out;
  }
}

function attrFloat(node: Node, name: string, fallback: number): number {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a?.f ?? fallback;
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
