/**
 * Tangent rules of the reductions and normalizations: ReduceSum, ReduceMean,
 * ReduceMax, ReduceMin, CumSum, Softmax, LogSoftmax, LayerNormalization and
 * BatchNormalization (inference). A reduction over primal axes becomes the
 * same reduction over those axes + 1 of the tangent.
 *
 * @module
 */
import { DataType } from "../../tensor.ts";
import { attribute } from "../_graph_builder.ts";
import type { Differentiator, Tangent } from "../_differentiator.ts";
import { type RuleNode, type TangentRule, UnsupportedDerivativeError } from "../_rule.ts";

/** Non-negative reduced axes of a reduction node, or `null` for a no-op. */
function reducedAxes(node: RuleNode, d: Differentiator, rank: number): number[] | null {
  const asInput = node.opType === "ReduceSum" ? node.opset >= 13 : node.opset >= 18;
  let axes: number[] | undefined;
  if (asInput && node.inputs[1]) {
    const value = d.constant(node.inputs[1]);
    if (value === undefined) {
      throw new UnsupportedDerivativeError(
        node.opType,
        node.name,
        "reduces over axes computed at run time",
      );
    }
    axes = Array.from(value);
  } else if (!asInput) axes = node.attrs.ints("axes");
  if (axes === undefined || axes.length === 0) {
    if (node.attrs.int("noop_with_empty_axes", 0) !== 0) return null;
    return Array.from({ length: rank }, (_, i) => i);
  }
  return axes.map((a) => d.tangentAxis(a, rank) - 1);
}

function plusOne(axes: readonly number[]): number[] {
  return axes.map((a) => a + 1);
}

function sumOrMean(opType: "ReduceSum" | "ReduceMean"): TangentRule {
  return (node, [t], d) => {
    const x = node.inputs[0]!;
    const y = node.outputs[0]!;
    const axes = reducedAxes(node, d, d.b.rank(x));
    if (axes === null) return [t];
    const keep = node.attrs.int("keepdims", 1) !== 0;
    const out = d.b.reduce(opType, d.dense(t!, x), plusOne(axes), keep);
    return [d.fromTensor(out, d.b.rank(y))];
  };
}

/** ReduceMax/ReduceMin: the mean of the tangents at the extreme entries (PyTorch's amax rule). */
const extreme: TangentRule = (node, [t], d) => {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const r = d.b.rank(x);
  const axes = reducedAxes(node, d, r);
  if (axes === null) return [t];
  const keep = node.attrs.int("keepdims", 1) !== 0;
  const yKeep = keep ? y : d.b.unsqueeze(y, axes);
  const hit = d.b.cast(d.b.op("Equal", [x, yKeep]), d.b.floatType);
  const weight = d.b.op("Div", [hit, d.b.reduce("ReduceSum", hit, axes, true)]);
  const weighted = d.dense(d.scale(t!, weight, r), x);
  const out = d.b.reduce("ReduceSum", weighted, plusOne(axes), keep);
  return [d.fromTensor(out, d.b.rank(y))];
};

/** The softmax axes: one axis from opset 13, the trailing axes from `axis` before. */
function softmaxAxes(node: RuleNode, d: Differentiator, rank: number): number[] {
  const axis = d.tangentAxis(node.attrs.int("axis", node.opset >= 13 ? -1 : 1), rank) - 1;
  if (node.opset >= 13) return [axis];
  return Array.from({ length: rank - axis }, (_, i) => axis + i);
}

/** Softmax: `dy = y ⊙ (dx - Σ y ⊙ dx)`; LogSoftmax: `dy = dx - Σ softmax ⊙ dx`. */
function softmax(log: boolean): TangentRule {
  return (node, [t], d) => {
    const x = node.inputs[0]!;
    const y = node.outputs[0]!;
    const r = d.b.rank(x);
    const axes = plusOne(softmaxAxes(node, d, r));
    const dense = d.dense(t!, x);
    const p = log ? d.b.op("Exp", [y]) : y;
    const inner = d.b.reduce("ReduceSum", d.b.op("Mul", [dense, p]), axes, true);
    const centered = d.fromTensor(d.b.op("Sub", [dense, inner]), r);
    return [log ? centered : d.scale(centered, y, r)];
  };
}

/** LayerNormalization over axes `axis..r-1`; the optional Mean and InvStdDev outputs too. */
const layerNorm: TangentRule = (node, [tx, tScale, tBias], d) => {
  const [x, scale] = node.inputs as [string, string];
  const r = d.b.rank(x);
  const axis = d.tangentAxis(node.attrs.int("axis", -1), r) - 1;
  const eps = node.attrs.float("epsilon", 1e-5);
  const axes = Array.from({ length: r - axis }, (_, i) => axis + i);
  const b = d.b;
  const mean = b.reduce("ReduceMean", x, axes, true);
  const centered = b.op("Sub", [x, mean]);
  const variance = b.reduce("ReduceMean", b.op("Mul", [centered, centered]), axes, true);
  const inv = b.op("Reciprocal", [b.op("Sqrt", [b.op("Add", [variance, b.scalar(eps)])])]);
  const normalized = b.op("Mul", [centered, inv]);
  let dMean: Tangent | undefined;
  let dInv: Tangent | undefined;
  let dy: Tangent | undefined;
  if (tx) {
    const dense = d.dense(tx, x);
    const m1 = b.reduce("ReduceMean", dense, plusOne(axes), true);
    const m2 = b.reduce("ReduceMean", b.op("Mul", [dense, normalized]), plusOne(axes), true);
    const inner = b.op("Sub", [b.op("Sub", [dense, m1]), b.op("Mul", [m2, normalized])]);
    dy = { rank: r, base: inner, factor: b.op("Mul", [inv, scale]) };
    dMean = d.fromTensor(m1, r);
    dInv = { rank: r, base: m2, factor: b.op("Neg", [b.op("Mul", [inv, inv])]) };
  }
  const y = node.outputs[0]!;
  const total = d.sum([dy, tScale && d.scale(tScale, normalized, r), tBias], y);
  return [total, dMean, dInv];
};

/** BatchNormalization in inference mode, statistics and affine parameters constant. */
const batchNorm: TangentRule = (node, [tx, ...others], d) => {
  if (others.some((t) => t !== undefined)) {
    throw new UnsupportedDerivativeError(
      node.opType,
      node.name,
      "has a scale, bias, mean or variance that depends on the input; only the data input may",
    );
  }
  const [x, scale, , , variance] = node.inputs as [string, string, string, string, string];
  const r = d.b.rank(x);
  const eps = node.attrs.float("epsilon", 1e-5);
  const b = d.b;
  const perChannel = b.op("Div", [
    scale,
    b.op("Sqrt", [b.op("Add", [variance, b.scalar(eps)])]),
  ]);
  const channels = b.dims(perChannel)[0] ?? null;
  const factor = b.op("Reshape", [perChannel, b.int64s([-1, ...Array(r - 2).fill(1)])], {
    dims: [channels, ...Array(r - 2).fill([1, 1] as const)],
  });
  return [d.scale(tx!, factor, r)];
};

/** CumSum along a constant axis. */
const cumSum: TangentRule = (node, [t], d) => {
  const [x, axisName] = node.inputs as [string, string];
  const axis = d.constant(axisName)?.[0];
  if (axis === undefined) {
    throw new UnsupportedDerivativeError(
      node.opType,
      node.name,
      "has an axis computed at run time",
    );
  }
  const r = d.b.rank(x);
  const tangentAxis = d.b.constant([d.tangentAxis(axis, r)], [], DataType.INT64);
  const out = d.b.op("CumSum", [d.dense(t!, x), tangentAxis], {
    attributes: [
      attribute.int("exclusive", node.attrs.int("exclusive", 0)),
      attribute.int("reverse", node.attrs.int("reverse", 0)),
    ],
    dims: d.tangentDims(d.b.dims(x)),
  });
  return [d.fromTensor(out, r)];
};

/** Reduction and normalization tangent rules, by op type. */
export const REDUCE_RULES: ReadonlyArray<[string, TangentRule]> = [
  ["ReduceSum", sumOrMean("ReduceSum")],
  ["ReduceMean", sumOrMean("ReduceMean")],
  ["ReduceMax", extreme],
  ["ReduceMin", extreme],
  ["CumSum", cumSum],
  ["Softmax", softmax(false)],
  ["LogSoftmax", softmax(true)],
  ["LayerNormalization", layerNorm],
  ["BatchNormalization", batchNorm],
];
