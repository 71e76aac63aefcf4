/**
 * Tangent rules of the (multi)linear ops: MatMul, Gemm, Einsum and Conv.
 * The product rule gives one term per active operand; the direction axis of a
 * tangent operand is placed in front of every batch axis, so each term is one
 * batched product over all `n` directions.
 *
 * @module
 */
import { attribute, fixed } from "../_graph_builder.ts";
import type { Differentiator, Tangent } from "../_differentiator.ts";
import { type TangentRule, UnsupportedDerivativeError } from "../_rule.ts";

/** Unsqueezes a `[n, ...]` tensor after the direction axis up to total rank `rank`. */
function padDirections(d: Differentiator, x: string, rank: number): string {
  const have = d.b.rank(x);
  if (have >= rank) return x;
  return d.b.unsqueeze(x, Array.from({ length: rank - have }, (_, i) => i + 1));
}

/** `dA @ B` for a MatMul with `A`, `B` of ranks `ra`, `rb`. */
function leftTerm(d: Differentiator, t: Tangent, a: string, b: string): Tangent {
  const ra = d.b.rank(a);
  const rb = d.b.rank(b);
  let x = d.dense(t, a, [-1]);
  if (rb === 1) {
    const out = d.b.op("MatMul", [x, b], { dims: d.b.dims(x).slice(0, -1) });
    return d.fromTensor(out, d.b.rank(out) - 1);
  }
  if (ra === 1) x = d.b.unsqueeze(x, [1]);
  x = padDirections(d, x, Math.max(ra, rb, 2) + 1);
  let out = d.b.matMul(x, b);
  if (ra === 1) out = d.b.squeeze(out, [d.b.rank(out) - 2]);
  return d.fromTensor(out, d.b.rank(out) - 1);
}

/** `A @ dB` for a MatMul with `A`, `B` of ranks `ra`, `rb`. */
function rightTerm(d: Differentiator, t: Tangent, a: string, b: string): Tangent {
  const ra = d.b.rank(a);
  const rb = d.b.rank(b);
  let x = d.dense(t, b, rb === 1 ? [-1] : [-1, -2]);
  if (ra === 1) {
    const dims = [...d.b.dims(x).slice(0, -2), d.b.dims(x)[d.b.rank(x) - 1]!];
    const out = d.b.op("MatMul", [a, x], { dims });
    return d.fromTensor(out, d.b.rank(out) - 1);
  }
  if (rb === 1) x = d.b.unsqueeze(x, [2]);
  x = padDirections(d, x, Math.max(ra, rb, 2) + 1);
  let out = d.b.matMul(a, x);
  if (rb === 1) out = d.b.squeeze(out, [d.b.rank(out) - 1]);
  return d.fromTensor(out, d.b.rank(out) - 1);
}

const matMul: TangentRule = (node, [ta, tb], d) => {
  const [a, b] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  return [d.sum([ta && leftTerm(d, ta, a, b), tb && rightTerm(d, tb, a, b)], y)];
};

/** Gemm: `alpha · op(A) op(B) + beta · C` with `op` a transpose when `transA`/`transB`. */
const gemm: TangentRule = (node, [ta, tb, tc], d) => {
  const [a, b] = node.inputs as [string, string];
  const c = node.inputs[2] || undefined;
  const y = node.outputs[0]!;
  const alpha = node.attrs.float("alpha", 1);
  const beta = node.attrs.float("beta", 1);
  const transA = node.attrs.int("transA", 0) !== 0;
  const transB = node.attrs.int("transB", 0) !== 0;
  const opA = transA ? d.b.memo(`T:${a}`, () => d.b.transpose(a, [1, 0])) : a;
  const opB = transB ? d.b.memo(`T:${b}`, () => d.b.transpose(b, [1, 0])) : b;
  const terms: (Tangent | undefined)[] = [];
  if (ta) {
    let x = d.dense(ta, a, [transA ? 0 : 1]);
    if (transA) x = d.b.transpose(x, [0, 2, 1]);
    terms.push(d.fromTensor(d.b.matMul(x, opB), 2));
  }
  if (tb) {
    let x = d.dense(tb, b, [0, 1]);
    if (transB) x = d.b.transpose(x, [0, 2, 1]);
    terms.push(d.fromTensor(d.b.matMul(opA, x), 2));
  }
  const product = d.sum(terms, y);
  const scaled = product && alpha !== 1 ? d.scale(product, d.b.scalar(alpha), 2) : product;
  const bias = tc && c && beta !== 0
    ? (beta === 1 ? d.align(tc, 2) : d.scale(tc, d.b.scalar(beta), 2))
    : undefined;
  return [d.sum([scaled, bias], y)];
};

/** Einsum: one term per active operand, the direction index prepended to it and to the output. */
const einsum: TangentRule = (node, tangents, d) => {
  const equation = node.attrs.string("equation", "").replace(/\s+/g, "");
  const arrow = equation.indexOf("->");
  const lhs = arrow >= 0 ? equation.slice(0, arrow) : equation;
  const terms = lhs.split(",");
  let rhs: string;
  if (arrow >= 0) rhs = equation.slice(arrow + 2);
  else {
    // Implicit output: the ellipsis, then the letters that appear once, sorted.
    const letters = lhs.replace(/[^A-Za-z]/g, "");
    const once = [...new Set(letters)].filter((ch) =>
      letters.indexOf(ch) === letters.lastIndexOf(ch)
    );
    rhs = (lhs.includes("...") ? "..." : "") + once.sort().join("");
  }
  const used = new Set(equation);
  const free = [..."zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA"].find((ch) =>
    !used.has(ch)
  );
  if (free === undefined) {
    throw new UnsupportedDerivativeError(node.opType, node.name, "uses every index letter");
  }
  const y = node.outputs[0]!;
  const parts: (Tangent | undefined)[] = tangents.map((t, i) => {
    if (t === undefined) return undefined;
    const operands = node.inputs.map((s, k) => (k === i ? d.dense(t, node.inputs[i]!) : s));
    const eq = terms.map((term, k) => (k === i ? free + term : term)).join(",") + "->" + free +
      rhs;
    const out = d.b.op("Einsum", operands, {
      attributes: [attribute.string("equation", eq)],
      dims: d.tangentDims(d.b.dims(y)),
    });
    return d.fromTensor(out, d.b.rank(y));
  });
  return [d.sum(parts, y)];
};

/** Conv with constant weights and bias: the tangent is the convolution of the input's tangent. */
const conv: TangentRule = (node, [tx, tw, tbias], d) => {
  if (tw || tbias) {
    throw new UnsupportedDerivativeError(
      node.opType,
      node.name,
      "has a weight or bias that depends on the input; only the data input may",
    );
  }
  const x = node.inputs[0]!;
  const w = node.inputs[1]!;
  const y = node.outputs[0]!;
  const dense = d.dense(tx!, x);
  // [n, N, C, ...] -> [n*N, C, ...], convolve without the bias, -> [n, N, C', ...].
  const rest = d.b.op("Slice", [d.b.shape(x), d.b.int64s([1]), d.b.int64s([d.b.rank(x)])], {
    dims: [fixed(d.b.rank(x) - 1)],
  });
  const flatShape = d.b.op("Concat", [d.b.int64s([-1]), rest], {
    attributes: [attribute.int("axis", 0)],
    dims: [fixed(d.b.rank(x))],
  });
  const xDims = d.b.dims(x);
  const flat = d.b.op("Reshape", [dense, flatShape], { dims: [null, ...xDims.slice(1)] });
  const yDims = d.b.dims(y);
  const convolved = d.b.op("Conv", [flat, w], {
    attributes: node.attrs.all(),
    dims: [null, ...yDims.slice(1)],
  });
  return [d.reshapeLike(convolved, y)];
};

/** Linear-algebra tangent rules, by op type. */
export const LINEAR_RULES: ReadonlyArray<[string, TangentRule]> = [
  ["MatMul", matMul],
  ["Gemm", gemm],
  ["Einsum", einsum],
  ["Conv", conv],
];
