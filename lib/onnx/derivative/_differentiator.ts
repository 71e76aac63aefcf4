/**
 * The tangent algebra of the forward-mode transform.
 *
 * The tangent of a value `v` of shape `S` (rank `r`) carries the `n` input
 * directions on a leading axis: shape `[n, ...S]`. To save work it is kept as
 * `factor ⊙ base`, where `base` has rank `r + 1` and may be broadcast (dims of
 * size 1 standing for the full dim), and `factor` is a primal-space value of
 * rank ≤ `r` (no direction axis) or absent for 1. Chains of elementwise ops
 * then multiply small primal-space factors (`exp`, `σ(1-σ)`, `1/d`, …) instead
 * of `n`-times-larger tangents, and a tangent is materialized only where an op
 * needs its exact shape (a Reshape, a matrix product's inner dims, a reduction).
 *
 * @module
 */
import { DataType } from "../tensor.ts";
import {
  broadcastDims,
  type Dims,
  fixed,
  type GraphBuilder,
  isOne,
  sameDim,
  sameDims,
} from "./_graph_builder.ts";

/** A tangent: `factor ⊙ base`, direction axis first. */
export interface Tangent {
  /** Rank `r` of the primal value; `base` has rank `r + 1`. */
  readonly rank: number;
  /** Tensor `[n, ...]`, possibly broadcast. */
  readonly base: string;
  /** Primal-space multiplier of rank ≤ `r`, or `undefined` for 1. */
  readonly factor?: string;
}

/** Builds tangent expressions for the op rules. */
export class Differentiator {
  /**
   * @param b The graph builder (nodes are appended to it).
   * @param n Number of directions (the input width).
   * @param constants Values of the graph's constants, by name.
   */
  constructor(
    readonly b: GraphBuilder,
    readonly n: number,
    readonly constants: ReadonlyMap<string, Float64Array>,
  ) {}

  /** A tangent from a tensor `[n, ...]` (possibly broadcast) of a rank-`rank` primal. */
  fromTensor(base: string, rank: number): Tangent {
    return { rank, base };
  }

  /** The same tangent with the base unsqueezed (after the direction axis) to primal rank `rank`. */
  align(t: Tangent, rank: number): Tangent {
    if (t.rank === rank) return t;
    if (t.rank > rank) {
      throw new TypeError(
        `Cannot build the derivative graph: a rank-${t.rank} tangent cannot align to rank ${rank}`,
      );
    }
    const axes = Array.from({ length: rank - t.rank }, (_, i) => i + 1);
    const base = this.b.unsqueeze(t.base, axes);
    return t.factor === undefined ? { rank, base } : { rank, base, factor: t.factor };
  }

  /** `t` times a primal-space value (rank ≤ `rank`), as a tangent of a rank-`rank` primal. */
  scale(t: Tangent, factor: string, rank: number): Tangent {
    const a = this.align(t, rank);
    const f = a.factor === undefined ? factor : this.b.op("Mul", [a.factor, factor]);
    return { rank, base: a.base, factor: f };
  }

  /** `-t`. */
  negate(t: Tangent): Tangent {
    const f = t.factor === undefined ? this.b.scalar(-1) : this.b.op("Neg", [t.factor]);
    return { rank: t.rank, base: t.base, factor: f };
  }

  /** The sum of tangents (absent ones are zero) of a primal `y`; `undefined` if all are zero. */
  sum(terms: readonly (Tangent | undefined)[], y: string): Tangent | undefined {
    const rank = this.b.rank(y);
    const present = terms.filter((t): t is Tangent => t !== undefined).map((t) =>
      this.align(t, rank)
    );
    if (present.length === 0) return undefined;
    const groups = new Map<string, Tangent[]>();
    for (const t of present) groups.set(t.base, [...(groups.get(t.base) ?? []), t]);
    const merged = [...groups.values()].map((group): Tangent => {
      if (group.length === 1) return group[0]!;
      let f = this.#factorOrOne(group[0]!);
      for (const t of group.slice(1)) f = this.b.op("Add", [f, this.#factorOrOne(t)]);
      return { rank, base: group[0]!.base, factor: f };
    });
    if (merged.length === 1) return merged[0]!;
    let acc = this.broadcastable(merged[0]!);
    for (const t of merged.slice(1)) acc = this.b.op("Add", [acc, this.broadcastable(t)]);
    return { rank, base: acc };
  }

  /**
   * `where(mask, ta, tb)` for a primal `y` (a `Where`, the branch of a max or a
   * piecewise function); absent tangents are zero. `mask` is a bool primal value.
   */
  select(
    mask: string,
    ta: Tangent | undefined,
    tb: Tangent | undefined,
    y: string,
  ): Tangent | undefined {
    const rank = this.b.rank(y);
    if (ta === undefined && tb === undefined) return undefined;
    if (tb === undefined) return this.scale(ta!, this.b.cast(mask, this.b.floatType), rank);
    if (ta === undefined) {
      return this.scale(tb, this.b.cast(this.b.op("Not", [mask]), this.b.floatType), rank);
    }
    const a = this.align(ta, rank);
    const c = this.align(tb, rank);
    if (a.base === c.base) {
      const f = this.b.op("Where", [mask, this.#factorOrOne(a), this.#factorOrOne(c)]);
      return { rank, base: a.base, factor: f };
    }
    return {
      rank,
      base: this.b.op("Where", [mask, this.broadcastable(a), this.broadcastable(c)]),
    };
  }

  /** `factor ⊙ base` as one tensor `[n, ...]`, still possibly broadcast. */
  broadcastable(t: Tangent): string {
    if (t.factor === undefined) return t.base;
    return this.b.memo(
      `product:${t.base}:${t.factor}`,
      () => this.b.op("Mul", [t.base, t.factor!]),
    );
  }

  /**
   * The tangent of primal `v` as a tensor `[n, ...]` whose dims are exact on
   * the given primal axes (negative counts from the end; all axes when omitted)
   * and possibly broadcast on the others.
   */
  dense(t: Tangent, v: string, exactAxes?: readonly number[]): string {
    const product = this.broadcastable(this.align(t, this.b.rank(v)));
    const want = [fixed(this.n), ...this.b.dims(v)];
    const have = this.b.dims(product);
    const r = this.b.rank(v);
    const axes = exactAxes === undefined
      ? want.map((_, i) => i)
      : [0, ...exactAxes.map((a) => (a < 0 ? a + r : a) + 1)];
    if (axes.every((i) => sameDim(have[i]!, want[i]!))) return product;
    if (sameDims(have, want)) return product;
    return this.b.memo(
      `expand:${product}:${v}`,
      () => this.b.op("Expand", [product, this.directionShape(v)], { dims: want }),
    );
  }

  /** Zeros `[n, ...shape(v)]`. */
  zeros(v: string): string {
    return this.b.memo(`zeros:${v}`, () =>
      this.b.op("ConstantOfShape", [this.directionShape(v)], {
        attributes: [{
          name: "value",
          type: 4,
          t: {
            dims: [1],
            dataType: this.b.floatType,
            rawData: this.b.floatType === DataType.DOUBLE
              ? new Uint8Array(new Float64Array([0]).buffer)
              : new Uint8Array(new Float32Array([0]).buffer),
          },
        }],
        dims: [fixed(this.n), ...this.b.dims(v)],
        elemType: this.b.floatType,
      }));
  }

  /** `[n, ...Shape(v)]` as an int64 vector. */
  directionShape(v: string): string {
    return this.b.memo(
      `dirshape:${v}`,
      () =>
        this.b.op("Concat", [this.b.int64s([this.n]), this.b.shape(v)], {
          attributes: [{ name: "axis", type: 2, i: 0 }],
          dims: [fixed(this.b.rank(v) + 1)],
          elemType: DataType.INT64,
        }),
    );
  }

  /** Reshapes a dense tangent to `[n, ...Shape(y)]` (Reshape, Flatten, Squeeze, Unsqueeze). */
  reshapeLike(tangent: string, y: string): Tangent {
    const base = this.b.op("Reshape", [tangent, this.directionShape(y)], {
      dims: [fixed(this.n), ...this.b.dims(y)],
    });
    return { rank: this.b.rank(y), base };
  }

  /** The axis of a tangent that corresponds to primal axis `axis` of a rank-`rank` value. */
  tangentAxis(axis: number, rank: number): number {
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw new RangeError(
        `Cannot build the derivative graph: axis ${axis} is out of range for rank ${rank}`,
      );
    }
    return a + 1;
  }

  /** The value of a constant input, or `undefined` if it is computed at run time. */
  constant(name: string): Float64Array | undefined {
    return this.constants.get(name);
  }

  /** True when every dim of a value is known and the value is the same for every point. */
  isBroadcastAxis(v: string, axis: number): boolean {
    return isOne(this.b.dims(v)[axis] ?? null);
  }

  /** Dims of `[n, ...]` tangents built from these primal dims. */
  tangentDims(dims: Dims): Dims {
    return [fixed(this.n), ...dims];
  }

  /** Broadcast dims of values. */
  broadcast(...names: string[]): Dims {
    return broadcastDims(...names.map((s) => this.b.dims(s)));
  }

  #factorOrOne(t: Tangent): string {
    return t.factor ?? this.b.scalar(1);
  }
}
