/**
 * Tangent rules of the shape and indexing ops (the same op on the tangent,
 * its axes shifted past the direction axis), of the pass-through ops, and of
 * the ops whose outputs carry no derivative (shapes, comparisons, logic,
 * integer casts).
 *
 * @module
 */
import { DataType, isFloatType } from "../../tensor.ts";
import { attribute, fixed, isOne, sameDim } from "../_graph_builder.ts";
import type { Differentiator } from "../_differentiator.ts";
import type { TangentRule } from "../_rule.ts";

/** The same tangent: the output equals the input (values and shape). */
const passThrough: TangentRule = (_node, [t]) => [t];

/** Pure reshapes (Reshape, Flatten, Squeeze, Unsqueeze): reshape the tangent to `[n, ...Shape(y)]`. */
const reshape: TangentRule = (node, [t], d) => {
  const x = node.inputs[0]!;
  return [d.reshapeLike(d.dense(t!, x), node.outputs[0]!)];
};

/** Cast: float to float keeps the tangent; to integers or bool it is dropped. */
const cast: TangentRule = (node, [t]) => {
  const to = node.attrs.int("to", DataType.FLOAT);
  return [isFloatType(to) ? t : undefined];
};

/** Expand: broadcasting, which a tangent may keep implicit. */
const expand: TangentRule = (node, [t], d) => [t && d.align(t, d.b.rank(node.outputs[0]!))];

/** Concat along an axis: the tangents (zeros for inactive inputs) concatenated past the direction axis. */
const concat: TangentRule = (node, tangents, d) => {
  const y = node.outputs[0]!;
  const r = d.b.rank(y);
  const axis = d.tangentAxis(node.attrs.int("axis", 0), r);
  const parts = node.inputs.map((v, i) => {
    const t = tangents[i];
    return t === undefined ? d.zeros(v) : d.dense(t, v);
  });
  const out = d.b.op("Concat", parts, {
    attributes: [attribute.int("axis", axis)],
    dims: d.tangentDims(d.b.dims(y)),
  });
  return [d.fromTensor(out, r)];
};

/** Slice. A tangent broadcast along every sliced axis keeps its base and slices only its factor. */
const slice: TangentRule = (node, [t], d) => {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const r = d.b.rank(x);
  const tangent = t!;
  if (node.opset < 10) {
    const axes = node.attrs.ints("axes") ?? node.attrs.ints("starts")!.map((_, i) => i);
    const attrs = node.attrs.all().filter((a) => a.name !== "axes");
    attrs.push(attribute.ints("axes", axes.map((a) => d.tangentAxis(a, r))));
    const out = d.b.op("Slice", [d.dense(tangent, x)], {
      attributes: attrs,
      dims: d.tangentDims(d.b.dims(y)),
    });
    return [d.fromTensor(out, r)];
  }
  const [, starts, ends] = node.inputs as [string, string, string];
  const axesName = node.inputs[3] || undefined;
  const steps = node.inputs[4] || undefined;
  const constantAxes = axesName === undefined
    ? Array.from({ length: d.b.dims(starts)[0]?.[0] ?? 0 }, (_, i) => i)
    : d.constant(axesName) && Array.from(d.constant(axesName)!, (a) => d.tangentAxis(a, r) - 1);
  const aligned = d.align(tangent, r);
  if (constantAxes && aligned.factor === undefined) {
    const baseDims = d.b.dims(aligned.base);
    // Constant along every sliced axis: still constant along them after slicing.
    if (constantAxes.every((a) => isOne(baseDims[a + 1] ?? null))) return [aligned];
  }
  if (constantAxes && aligned.factor !== undefined) {
    const baseDims = d.b.dims(aligned.base);
    const factor = padLeading(d, aligned.factor, r);
    const factorDims = d.b.dims(factor);
    const xDims = d.b.dims(x);
    const baseBroadcast = constantAxes.every((a) => isOne(baseDims[a + 1] ?? null));
    const factorFull = constantAxes.every((a) => sameDim(factorDims[a] ?? null, xDims[a] ?? null));
    const factorBroadcast = constantAxes.every((a) => isOne(factorDims[a] ?? null));
    if (baseBroadcast && (factorFull || factorBroadcast)) {
      // The base is the same along the sliced axes: only the factor varies there.
      const sliced = factorBroadcast ? factor : d.b.op("Slice", [factor, ...node.inputs.slice(1)], {
        dims: factorDims.map((dim, i) => (constantAxes.includes(i) ? d.b.dims(y)[i]! : dim)),
      });
      return [{ rank: r, base: aligned.base, factor: sliced }];
    }
  }
  const tangentAxes = constantAxes
    ? d.b.int64s(constantAxes.map((a) => a + 1))
    : shiftedAxes(d, axesName!);
  const inputs = [d.dense(tangent, x), starts, ends, tangentAxes];
  if (steps) inputs.push(steps);
  const out = d.b.op("Slice", inputs, { dims: d.tangentDims(d.b.dims(y)) });
  return [d.fromTensor(out, r)];
};

/** Unsqueezes leading axes of a primal-space value up to rank `rank`. */
function padLeading(d: Differentiator, v: string, rank: number): string {
  const have = d.b.rank(v);
  if (have >= rank) return v;
  return d.b.unsqueeze(v, Array.from({ length: rank - have }, (_, i) => i));
}

/** Run-time axes shifted for the tangent: non-negative `a` becomes `a + 1`. */
function shiftedAxes(d: Differentiator, axes: string): string {
  const b = d.b;
  const int64 = b.cast(axes, DataType.INT64);
  const zero = b.constant([0], [], DataType.INT64);
  const one = b.constant([1], [], DataType.INT64);
  return b.op("Where", [b.op("Less", [int64, zero]), int64, b.op("Add", [int64, one])]);
}

/** Gather along an axis. */
const gather: TangentRule = (node, [t], d) => {
  const [x, indices] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  const r = d.b.rank(x);
  const out = d.b.op("Gather", [d.dense(t!, x), indices], {
    attributes: [attribute.int("axis", d.tangentAxis(node.attrs.int("axis", 0), r))],
    dims: d.tangentDims(d.b.dims(y)),
  });
  return [d.fromTensor(out, d.b.rank(y))];
};

/** Transpose: the direction axis stays first. */
const transpose: TangentRule = (node, [t], d) => {
  const x = node.inputs[0]!;
  const r = d.b.rank(x);
  const perm = node.attrs.ints("perm") ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  const base = d.b.transpose(d.dense(t!, x, []), [0, ...perm.map((p) => p + 1)]);
  return [d.fromTensor(base, r)];
};

/** Split along an axis, the same sizes. */
const split: TangentRule = (node, [t], d) => {
  const x = node.inputs[0]!;
  const r = d.b.rank(x);
  const axis = d.tangentAxis(node.attrs.int("axis", 0), r);
  const attrs = node.attrs.all().filter((a) => a.name !== "axis");
  attrs.push(attribute.int("axis", axis));
  const outputs = node.outputs.map((o) => (o === "" ? "" : d.b.fresh("split")));
  const inputs = [d.dense(t!, x), ...node.inputs.slice(1)];
  d.b.emit("Split", inputs, outputs, attrs);
  return node.outputs.map((o, i) => {
    if (o === "") return undefined;
    d.b.declare(outputs[i]!, { dims: d.tangentDims(d.b.dims(o)), elemType: d.b.floatType });
    return d.fromTensor(outputs[i]!, r);
  });
};

/** Tile: the direction axis repeated once. */
const tile: TangentRule = (node, [t], d) => {
  const [x, repeats] = node.inputs as [string, string];
  const y = node.outputs[0]!;
  const r = d.b.rank(x);
  const withDirections = d.b.op("Concat", [d.b.int64s([1]), d.b.cast(repeats, DataType.INT64)], {
    attributes: [attribute.int("axis", 0)],
    dims: [fixed(r + 1)],
    elemType: DataType.INT64,
  });
  const out = d.b.op("Tile", [d.dense(t!, x), withDirections], {
    dims: d.tangentDims(d.b.dims(y)),
  });
  return [d.fromTensor(out, r)];
};

/** Pad: the tangent padded the same way (with zeros for the constant mode), never along the directions. */
const pad: TangentRule = (node, [t], d) => {
  const x = node.inputs[0]!;
  const y = node.outputs[0]!;
  const r = d.b.rank(x);
  const dense = d.dense(t!, x);
  const dims = d.tangentDims(d.b.dims(y));
  const mode = node.attrs.all().filter((a) => a.name === "mode");
  if (node.opset < 11) {
    const pads = node.attrs.ints("pads") ?? [];
    const attrs = [...mode, attribute.ints("pads", [0, ...pads.slice(0, r), 0, ...pads.slice(r)])];
    return [d.fromTensor(d.b.op("Pad", [dense], { attributes: attrs, dims }), r)];
  }
  const pads = node.inputs[1]!;
  const axes = node.inputs[3] || undefined;
  let inputs: string[];
  if (axes !== undefined) {
    inputs = [dense, pads, "", shiftedAxes(d, axes)];
  } else {
    const b = d.b;
    const zero = b.int64s([0]);
    const half = (from: number) =>
      b.op("Slice", [pads, b.int64s([from]), b.int64s([from + r])], {
        dims: [fixed(r)],
        elemType: DataType.INT64,
      });
    const widened = b.op("Concat", [zero, half(0), zero, half(r)], {
      attributes: [attribute.int("axis", 0)],
      dims: [fixed(2 * r + 2)],
      elemType: DataType.INT64,
    });
    inputs = [dense, widened];
  }
  return [d.fromTensor(d.b.op("Pad", inputs, { attributes: mode, dims }), r)];
};

/** Ops whose outputs have no derivative: shapes, comparisons, logic, index computations. */
const noDerivative: TangentRule = (node) => node.outputs.map(() => undefined);

const NO_DERIVATIVE = [
  "Shape",
  "Size",
  "Equal",
  "Less",
  "LessOrEqual",
  "Greater",
  "GreaterOrEqual",
  "And",
  "Or",
  "Xor",
  "Not",
  "Constant",
  "ConstantOfShape",
  "Range",
  "IsNaN",
  "IsInf",
  "ArgMax",
  "ArgMin",
];

/** Shape, pass-through and derivative-free rules, by op type. */
export const SHAPE_RULES: ReadonlyArray<[string, TangentRule]> = [
  ["Identity", passThrough],
  ["Dropout", (node, [t]) => [t, ...node.outputs.slice(1).map(() => undefined)]],
  ["Cast", cast],
  ["Reshape", reshape],
  ["Flatten", reshape],
  ["Squeeze", reshape],
  ["Unsqueeze", reshape],
  ["Expand", expand],
  ["Concat", concat],
  ["Slice", slice],
  ["Gather", gather],
  ["Transpose", transpose],
  ["Split", split],
  ["Tile", tile],
  ["Pad", pad],
  ...NO_DERIVATIVE.map((opType): [string, TangentRule] => [opType, noDerivative]),
];
