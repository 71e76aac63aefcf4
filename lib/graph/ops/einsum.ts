/**
 * `Einsum` as transposes, reshapes, sums and matrix products planned on the
 * host from the equation and the operands' shapes, so its gradients (and
 * their gradients) are those of `matMul`, `transpose` and `sum`.
 *
 * Supported: any number of operands, explicit (`"bid,iod->bo"`) or implicit
 * (`"bij,jk"`: the indices used once, in ASCII order, `A`–`Z` before `a`–`z`,
 * as numpy and PyTorch do; onnxruntime 1.30 refuses upper-case indices in an
 * implicit output) output, `...` for broadcast leading axes, and size-1 axes
 * broadcast against another operand's. Operands are contracted left to right:
 * indices needed by neither the output nor a later operand are summed first;
 * those two operands share and still need become the batch of a `matMul`,
 * the others they share are contracted by it. Refused at build time, with the
 * equation named: an index repeated within one operand or the output (a
 * diagonal or trace), an output index no operand has, a malformed equation.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { matMul } from "../../tf/mat_mul.ts";
import { expandTo, sizeOf, toTensor, type Value } from "../value.ts";
import { refuse } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

const ELLIPSIS = "...";

/** A parsed equation: each term a list of labels, `...` one token. */
interface Equation {
  readonly inputs: readonly (readonly string[])[];
  /** `undefined` for an implicit output. */
  readonly output: readonly string[] | undefined;
}

function parseTerm(term: string): string[] | string {
  const labels: string[] = [];
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith(ELLIPSIS, i)) {
      if (labels.includes(ELLIPSIS)) return `"..." appears twice in "${term}"`;
      labels.push(ELLIPSIS);
      i += 2;
    } else if (/[a-zA-Z]/.test(term[i]!)) {
      if (labels.includes(term[i]!)) {
        return `index "${term[i]}" repeats in "${term}" (a diagonal or trace)`;
      }
      labels.push(term[i]!);
    } else {
      return `"${term[i]}" is not an index letter`;
    }
  }
  return labels;
}

/** The parsed equation, or why it is not supported. */
function parseEquation(text: string, operands: number): Equation | string {
  const compact = text.replace(/\s+/g, "");
  const sides = compact.split("->");
  if (sides.length > 2) return `"->" appears twice`;
  const terms = sides[0]!.split(",");
  if (terms.length !== operands) {
    return `${terms.length} operand terms for ${operands} inputs`;
  }
  const inputs: string[][] = [];
  for (const term of terms) {
    const labels = parseTerm(term);
    if (typeof labels === "string") return labels;
    inputs.push(labels);
  }
  if (sides.length === 1) return { inputs, output: undefined };
  const output = parseTerm(sides[1]!);
  if (typeof output === "string") return output;
  for (const label of output) {
    if (label !== ELLIPSIS && !inputs.some((t) => t.includes(label))) {
      return `output index "${label}" is in no operand`;
    }
  }
  if (output.includes(ELLIPSIS) && !inputs.some((t) => t.includes(ELLIPSIS))) {
    return `the output has "..." but no operand does`;
  }
  return { inputs, output };
}

interface Operand {
  readonly t: tf.Tensor;
  readonly labels: readonly string[];
}

/** Sums the axes whose labels are not in `keep`. */
function sumOut(op: Operand, keep: ReadonlySet<string>): Operand {
  const axes = op.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]));
  if (axes.length === 0) return op;
  return { t: tf.sum(op.t, axes), labels: op.labels.filter((l) => keep.has(l)) };
}

/** `op` transposed to `order` (a permutation of its labels). */
function arrange(op: Operand, order: readonly string[]): tf.Tensor {
  const perm = order.map((l) => op.labels.indexOf(l));
  return perm.every((p, i) => p === i) ? op.t : tf.transpose(op.t, perm);
}

/** Contracts two operands, keeping the labels in `keep` (the output's and later operands'). */
function contract(
  left: Operand,
  right: Operand,
  keep: ReadonlySet<string>,
  sizes: ReadonlyMap<string, number>,
): Operand {
  // Indices neither the other operand nor `keep` has are summed first.
  const a = sumOut(left, new Set([...keep, ...right.labels]));
  const b = sumOut(right, new Set([...keep, ...left.labels]));
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  const size = (l: string) => sizes.get(l)!;
  const full = (ls: readonly string[]) => ls.map(size);
  const dimsOfA = [
    ...full(batch),
    ...aOnly.map((l) => a.t.shape[a.labels.indexOf(l)]!),
    ...full(
      summed,
    ),
  ];
  const dimsOfB = [
    ...full(batch),
    ...full(summed),
    ...bOnly.map((l) => b.t.shape[b.labels.indexOf(l)]!),
  ];
  // Shared axes of size 1 broadcast against the other operand's.
  const ta = expandTo(arrange(a, [...batch, ...aOnly, ...summed]), dimsOfA);
  const tb = expandTo(arrange(b, [...batch, ...summed, ...bOnly]), dimsOfB);
  const nb = sizeOf(full(batch));
  const na = sizeOf(dimsOfA.slice(batch.length, batch.length + aOnly.length));
  const nc = sizeOf(full(summed));
  const nbOnly = sizeOf(dimsOfB.slice(batch.length + summed.length));
  const product = nb === 1
    ? matMul(
      tf.reshape(ta, [na, nc]) as tf.Tensor2D,
      tf.reshape(tb, [nc, nbOnly]) as tf.Tensor2D,
    )
    : matMul(tf.reshape(ta, [nb, na, nc]), tf.reshape(tb, [nb, nc, nbOnly]));
  const outDims = [
    ...full(batch),
    ...dimsOfA.slice(batch.length, batch.length + aOnly.length),
    ...dimsOfB.slice(batch.length + summed.length),
  ];
  return { t: tf.reshape(product, outDims), labels: [...batch, ...aOnly, ...bOnly] };
}

function einsum(
  node: PlannedNode,
  eq: Equation,
  tensors: readonly tf.Tensor[],
  ctx: TranslateContext,
) {
  // Ellipsis axes, right-aligned across operands, get the labels "...0", "...1", …
  const counts = tensors.map((t, k) => {
    const letters = eq.inputs[k]!.filter((l) => l !== ELLIPSIS).length;
    const e = t.rank - letters;
    if (e < 0 || (e > 0 && !eq.inputs[k]!.includes(ELLIPSIS))) {
      throw new TypeError(
        `${ctx.where(node)}: operand ${k + 1} has shape [${
          t.shape.join(", ")
        }], which does not fit "${eq.inputs[k]!.join("")}"`,
      );
    }
    return e;
  });
  const maxE = Math.max(0, ...counts);
  const ellipsisLabels = Array.from({ length: maxE }, (_, i) => `${ELLIPSIS}${i}`);
  const expand = (labels: readonly string[], e: number) =>
    labels.flatMap((l) => (l === ELLIPSIS ? ellipsisLabels.slice(maxE - e) : [l]));
  const operands: Operand[] = tensors.map((t, k) => ({
    t,
    labels: expand(eq.inputs[k]!, counts[k]!),
  }));
  const sizes = new Map<string, number>();
  for (const op of operands) {
    op.labels.forEach((l, i) => {
      const d = op.t.shape[i]!;
      const seen = sizes.get(l);
      if (seen !== undefined && seen !== d && seen !== 1 && d !== 1) {
        throw new RangeError(
          `${ctx.where(node)}: index "${l}" has sizes ${seen} and ${d} in different operands`,
        );
      }
      sizes.set(l, Math.max(seen ?? 1, d));
    });
  }
  let output: string[];
  if (eq.output) {
    output = expand(eq.output, maxE);
  } else {
    const uses = new Map<string, number>();
    for (const term of eq.inputs) for (const l of term) uses.set(l, (uses.get(l) ?? 0) + 1);
    const once = [...uses].filter(([l, n]) => n === 1 && l !== ELLIPSIS).map(([l]) => l);
    output = [...ellipsisLabels, ...once.sort()];
  }
  const needed = (from: number) =>
    new Set([...output, ...operands.slice(from).flatMap((op) => op.labels)]);
  let acc = operands[0]!;
  for (let k = 1; k < operands.length; k++) {
    acc = contract(acc, operands[k]!, needed(k + 1), sizes);
  }
  acc = sumOut(acc, new Set(output));
  const result = arrange(acc, output);
  const outDims = output.map((l) => sizes.get(l)!);
  return expandTo(result, outDims);
}

const parsed = new WeakMap<PlannedNode, Equation>();

function equationOf(node: PlannedNode, ctx: TranslateContext): Equation {
  const known = parsed.get(node);
  if (known) return known;
  const text = node.attributes.string("equation", "");
  const eq = parseEquation(text, node.inputs.length);
  if (typeof eq === "string") {
    throw refuse(node, ctx, `equation "${text}" is not supported: ${eq}`);
  }
  parsed.set(node, eq);
  return eq;
}

/** The Einsum op. */
export const EINSUM_OPS: readonly OpEntry[] = [
  {
    opType: "Einsum",
    limits: "no index repeated within an operand (no diagonals or traces)",
    check(node, ctx) {
      equationOf(node, ctx);
    },
    translate(node, inputs, ctx) {
      const eq = equationOf(node, ctx);
      const tensors = inputs.map((v, k) => {
        if (v === undefined) throw new TypeError(`${ctx.where(node)}: input ${k} is missing`);
        return toTensor(v as Value);
      });
      return [einsum(node, eq, tensors, ctx)];
    },
  },
];
