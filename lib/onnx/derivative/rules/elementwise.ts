/**
 * Tangent rules of the elementwise ops: arithmetic with broadcasting (Add,
 * Sub, Mul, Div, Pow, Min, Max, Sum, Mean, Where), the unary functions and
 * the activations. A unary op multiplies the tangent's primal-space factor by
 * its derivative, written with double-capable ops from the primal input `x`
 * and output `y`; piecewise functions take the derivative of the branch
 * PyTorch takes at the break points (ReLU'(0) = 0, |x|'(0) = 0, clamp'
 * = 1 on the closed interval).
 *
 * @module
 */
import type { Differentiator, Tangent } from "../_differentiator.ts";
import type { RuleNode, TangentRule } from "../_rule.ts";

/** `f'(x)` from the primal input `x` and output `y`, or `null` for a zero derivative. */
type Derivative = (x: string, y: string, node: RuleNode, d: Differentiator) => string | null;

function unary(derivative: Derivative): TangentRule {
  return (node, [t], d) => {
    const x = node.inputs[0]!;
    const y = node.outputs[0]!;
    const f = derivative(x, y, node, d);
    return [f === null || t === undefined ? undefined : d.scale(t, f, d.b.rank(y))];
  };
}

/** A float 0/1 mask. */
function mask(d: Differentiator, condition: string): string {
  return d.b.cast(condition, d.b.floatType);
}

function op(d: Differentiator, opType: string, ...inputs: string[]): string {
  return d.b.op(opType, inputs);
}

function c(d: Differentiator, value: number): string {
  return d.b.scalar(value);
}

/** `1 / sqrt(1 - x²)`. */
function inverseSineDerivative(d: Differentiator, x: string): string {
  return op(d, "Reciprocal", op(d, "Sqrt", op(d, "Sub", c(d, 1), op(d, "Mul", x, x))));
}

const UNARY: ReadonlyArray<[string, Derivative]> = [
  ["Abs", (x, _y, _n, d) => op(d, "Sign", x)],
  ["Sqrt", (_x, y, _n, d) => op(d, "Div", c(d, 0.5), y)],
  ["Exp", (_x, y) => y],
  ["Log", (x, _y, _n, d) => op(d, "Reciprocal", x)],
  ["Sin", (x, _y, _n, d) => op(d, "Cos", x)],
  ["Cos", (x, _y, _n, d) => op(d, "Neg", op(d, "Sin", x))],
  ["Tan", (_x, y, _n, d) => op(d, "Add", c(d, 1), op(d, "Mul", y, y))],
  ["Sinh", (x, _y, _n, d) => op(d, "Cosh", x)],
  ["Cosh", (x, _y, _n, d) => op(d, "Sinh", x)],
  ["Asin", (x, _y, _n, d) => inverseSineDerivative(d, x)],
  ["Acos", (x, _y, _n, d) => op(d, "Neg", inverseSineDerivative(d, x))],
  ["Atan", (x, _y, _n, d) => op(d, "Reciprocal", op(d, "Add", c(d, 1), op(d, "Mul", x, x)))],
  ["Reciprocal", (_x, y, _n, d) => op(d, "Neg", op(d, "Mul", y, y))],
  ["Relu", (x, _y, _n, d) => mask(d, op(d, "Greater", x, c(d, 0)))],
  ["Sigmoid", (_x, y, _n, d) => op(d, "Mul", y, op(d, "Sub", c(d, 1), y))],
  ["Tanh", (_x, y, _n, d) => op(d, "Sub", c(d, 1), op(d, "Mul", y, y))],
  ["Softplus", (x, _y, _n, d) => op(d, "Sigmoid", x)],
  ["Softsign", (x, _y, _n, d) => {
    const r = op(d, "Reciprocal", op(d, "Add", op(d, "Abs", x), c(d, 1)));
    return op(d, "Mul", r, r);
  }],
  [
    "Erf",
    (x, _y, _n, d) =>
      op(d, "Mul", op(d, "Exp", op(d, "Neg", op(d, "Mul", x, x))), c(d, 2 / Math.sqrt(Math.PI))),
  ],
  [
    "LeakyRelu",
    (x, _y, node, d) =>
      op(d, "Where", op(d, "Greater", x, c(d, 0)), c(d, 1), c(d, node.attrs.float("alpha", 0.01))),
  ],
  [
    "ThresholdedRelu",
    (x, _y, node, d) => mask(d, op(d, "Greater", x, c(d, node.attrs.float("alpha", 1)))),
  ],
  ["Elu", (x, y, node, d) => {
    const alpha = node.attrs.float("alpha", 1);
    return op(d, "Where", op(d, "Greater", x, c(d, 0)), c(d, 1), op(d, "Add", y, c(d, alpha)));
  }],
  ["Selu", (x, y, node, d) => {
    const alpha = node.attrs.float("alpha", 1.67326319217681884765625);
    const gamma = node.attrs.float("gamma", 1.05070102214813232421875);
    return op(
      d,
      "Where",
      op(d, "Greater", x, c(d, 0)),
      c(d, gamma),
      op(d, "Add", y, c(d, gamma * alpha)),
    );
  }],
  ["Celu", (x, y, node, d) => {
    const alpha = node.attrs.float("alpha", 1);
    const inner = op(d, "Add", op(d, "Div", y, c(d, alpha)), c(d, 1));
    return op(d, "Where", op(d, "Greater", x, c(d, 0)), c(d, 1), inner);
  }],
  ["HardSigmoid", (x, _y, node, d) => {
    const alpha = node.attrs.float("alpha", 0.2);
    const beta = node.attrs.float("beta", 0.5);
    const z = op(d, "Add", op(d, "Mul", x, c(d, alpha)), c(d, beta));
    const inside = op(d, "And", op(d, "Greater", z, c(d, 0)), op(d, "Less", z, c(d, 1)));
    return op(d, "Mul", mask(d, inside), c(d, alpha));
  }],
  ["HardSwish", (x, _y, _n, d) => {
    // PyTorch: 0 below -3, x/3 + 1/2 on [-3, 3], 1 above.
    const middle = op(d, "Add", op(d, "Div", x, c(d, 3)), c(d, 0.5));
    const upper = op(d, "Where", op(d, "LessOrEqual", x, c(d, 3)), middle, c(d, 1));
    return op(d, "Where", op(d, "Less", x, c(d, -3)), c(d, 0), upper);
  }],
  ["Mish", (x, _y, _n, d) => {
    // y = x tanh(softplus(x)); y' = tanh(sp) + x (1 - tanh(sp)²) σ(x).
    const th = op(d, "Tanh", op(d, "Softplus", x));
    const sech2 = op(d, "Sub", c(d, 1), op(d, "Mul", th, th));
    return op(d, "Add", th, op(d, "Mul", op(d, "Mul", x, sech2), op(d, "Sigmoid", x)));
  }],
  ["Sign", () => null],
  ["Floor", () => null],
  ["Ceil", () => null],
  ["Round", () => null],
];

/** Multiplication rule: `d(ab) = b da + a db`. */
const mul: TangentRule = (node, [ta, tb], d) => {
  const [a, b] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  const r = d.b.rank(y);
  return [d.sum([ta && d.scale(ta, b, r), tb && d.scale(tb, a, r)], y)];
};

/** Division rule: `d(a/b) = da / b - (y / b) db`. */
const div: TangentRule = (node, [ta, tb], d) => {
  const b = node.inputs[1]!;
  const y = node.outputs[0]!;
  const r = d.b.rank(y);
  const inv = d.b.op("Reciprocal", [b]);
  const terms = [ta && d.scale(ta, inv, r)];
  if (tb) terms.push(d.scale(tb, d.b.op("Neg", [d.b.op("Mul", [y, inv])]), r));
  return [d.sum(terms, y)];
};

/** Power rule: `d(a^e) = e a^(e-1) da + y ln(a) de`. */
const pow: TangentRule = (node, [ta, te], d) => {
  const [a, e] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  const r = d.b.rank(y);
  const terms: (Tangent | undefined)[] = [];
  if (ta) {
    const value = d.constant(e);
    let factor: string;
    const first = value?.[0];
    if (value && first !== undefined && value.every((v) => v === first)) {
      factor = first === 1
        ? d.b.scalar(1)
        : first === 2
        ? d.b.op("Mul", [a, d.b.scalar(2)])
        : d.b.op("Mul", [d.b.op("Pow", [a, d.b.scalar(first - 1)]), d.b.scalar(first)]);
    } else {
      const ef = d.b.cast(e, d.b.floatType);
      factor = d.b.op("Mul", [ef, d.b.op("Pow", [a, d.b.op("Sub", [ef, d.b.scalar(1)])])]);
    }
    terms.push(d.scale(ta, factor, r));
  }
  if (te) terms.push(d.scale(te, d.b.op("Mul", [y, d.b.op("Log", [a])]), r));
  return [d.sum(terms, y)];
};

/** Max/Min of any number of inputs: the tangent of the selected input (ties to the first). */
function extremum(opType: "Max" | "Min"): TangentRule {
  const keep = opType === "Max" ? "GreaterOrEqual" : "LessOrEqual";
  return (node, tangents, d) => {
    const inputs = node.inputs.filter((s) => s !== "");
    const y = node.outputs[0]!;
    let acc = inputs[0]!;
    let t = tangents[0];
    for (let i = 1; i < inputs.length; i++) {
      const v = inputs[i]!;
      const last = i === inputs.length - 1;
      const out = last ? y : d.b.op(opType, [acc, v]);
      t = d.select(d.b.op(keep, [acc, v]), t, tangents[i], out);
      acc = out;
    }
    return [t === undefined ? undefined : d.align(t, d.b.rank(y))];
  };
}

/** The Sum/Mean of any number of inputs. */
function variadicSum(mean: boolean): TangentRule {
  return (node, tangents, d) => {
    const y = node.outputs[0]!;
    const total = d.sum(tangents, y);
    if (!mean || total === undefined) return [total];
    const count = node.inputs.filter((s) => s !== "").length;
    return [d.scale(total, d.b.scalar(1 / count), d.b.rank(y))];
  };
}

/** Clip to `[min, max]` (attributes before opset 11, optional inputs after). */
const clip: TangentRule = (node, [tx, tlo, thi], d) => {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const r = d.b.rank(y);
  let lo: string | undefined;
  let hi: string | undefined;
  if (node.opset < 11) {
    if (node.attrs.has("min")) lo = d.b.scalar(node.attrs.float("min", 0));
    if (node.attrs.has("max")) hi = d.b.scalar(node.attrs.float("max", 0));
  } else {
    lo = node.inputs[1] || undefined;
    hi = node.inputs[2] || undefined;
  }
  let inside: string | undefined;
  if (lo) inside = d.b.op("GreaterOrEqual", [x, lo]);
  if (hi) {
    const below = d.b.op("LessOrEqual", [x, hi]);
    inside = inside ? d.b.op("And", [inside, below]) : below;
  }
  const terms: (Tangent | undefined)[] = [];
  if (tx) terms.push(inside ? d.scale(tx, mask(d, inside), r) : tx);
  if (tlo && lo) terms.push(d.scale(tlo, mask(d, d.b.op("Less", [x, lo])), r));
  if (thi && hi) terms.push(d.scale(thi, mask(d, d.b.op("Greater", [x, hi])), r));
  return [d.sum(terms, y)];
};

/** PRelu: `x` where `x > 0`, else `slope · x`. */
const prelu: TangentRule = (node, [tx, ts], d) => {
  const [x, slope] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  const r = d.b.rank(y);
  const positive = d.b.op("Greater", [x, d.b.scalar(0)]);
  const negative = d.sum([tx && d.scale(tx, slope, r), ts && d.scale(ts, x, r)], y);
  return [d.select(positive, tx, negative, y)];
};

/** Where(condition, a, b). */
const where: TangentRule = (node, [, ta, tb], d) => {
  const [condition] = node.inputs as [string];
  return [d.select(condition, ta, tb, node.outputs[0]!)];
};

/** Elementwise tangent rules, by op type. */
export const ELEMENTWISE_RULES: ReadonlyArray<[string, TangentRule]> = [
  ["Add", (node, [ta, tb], d) => [d.sum([ta, tb], node.outputs[0]!)]],
  ["Sub", (node, [ta, tb], d) => [d.sum([ta, tb && d.negate(tb)], node.outputs[0]!)]],
  ["Mul", mul],
  ["Div", div],
  ["Pow", pow],
  ["Neg", (_node, [t], d) => [t && d.negate(t)]],
  ["Max", extremum("Max")],
  ["Min", extremum("Min")],
  ["Sum", variadicSum(false)],
  ["Mean", variadicSum(true)],
  ["Where", where],
  ["Clip", clip],
  ["PRelu", prelu],
  ...UNARY.map(([opType, f]): [string, TangentRule] => [opType, unary(f)]),
];
