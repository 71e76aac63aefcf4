/**
 * The findings of {@linkcode diagnoseGraph}: facts measured on an ONNX graph at
 * a set of evaluation points, each with the node it concerns and a one-sentence
 * plain-language explanation.
 *
 * @module
 */

/** Smallest and largest of a measured quantity. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/**
 * A layer normalization over the last `k` values of a tensor, as the
 * `LayerNormalization` op or decomposed (`ReduceMean`, `Sub`, `Pow`,
 * `ReduceMean`, `Add`, `Sqrt`, `Div`, optionally `Mul` by γ and `Add` β).
 *
 * Its Jacobian with respect to its input row `X` is
 * `diag(γ)/σ · (I − 11ᵀ/k − zzᵀ/k)` with `σ = sqrt(var(X) + ε)` and
 * `z = (X − mean(X))/σ`: it removes the mean shift and (up to `ε/σ²`) the
 * scale, so its numerical rank is `k − 2`.
 */
export interface LayerNormFinding {
  readonly kind: "layer-norm";
  /** Node name: the `LayerNormalization` node, or the first `ReduceMean` of the pattern. */
  readonly node: string;
  /** Every node of the pattern, in graph order. */
  readonly nodes: readonly string[];
  /** `"op"` for `LayerNormalization`, `"decomposed"` for the opset-13 pattern. */
  readonly pattern: "op" | "decomposed";
  /** Input tensor name. */
  readonly input: string;
  /** True when the input is the model input (through `Identity` nodes at most). */
  readonly firstLayer: boolean;
  /** Length `k` of each normalized row. */
  readonly k: number;
  /** Number of normalized rows measured (`N` times any middle dims). */
  readonly rows: number;
  /** ε added to the variance. */
  readonly epsilon: number;
  /** Numerical rank of the `k × k` Jacobian over the rows (NaN when every row is singular). */
  readonly rank: Range;
  /** Rows with σ = 0 (ε = 0 and equal values): 0/0, no Jacobian, left out of `rank`. */
  readonly singularRows: number;
  /** Number of rows at each rank, ascending by rank. */
  readonly rankCounts: readonly { readonly rank: number; readonly rows: number }[];
  /** Relative pivot tolerance used for the rank (pivots below `tol · max|J|` count as zero). */
  readonly rankTolerance: number;
  /** σ = sqrt(var + ε) per row (float64 from the float32 input values): min and median. */
  readonly sigma: { readonly min: number; readonly median: number };
  /** Gain 1/σ per row: max and median. */
  readonly gain: { readonly max: number; readonly median: number };
  /**
   * Gain 1/σ of every normalized row, in row order (for a first-layer
   * normalization of the model inputs, row `k` is point `k`).
   */
  readonly gainPerRow?: readonly number[];
  /** One sentence in plain language. */
  readonly explanation: string;
}

/**
 * Values entering a Gaussian RBF basis (FastKAN: `Sub(v, grid)` with a
 * constant 1-D grid, then `Div`, `Pow`, `Neg`/`Mul`, `Exp`).
 */
export interface RbfFinding {
  readonly kind: "rbf";
  /** The `Sub(v, grid)` node. */
  readonly node: string;
  /** The tensor `v` entering the basis. */
  readonly input: string;
  /** Grid centres: smallest, largest and count. */
  readonly grid: { readonly min: number; readonly max: number; readonly count: number };
  /** Number of entering values measured. */
  readonly count: number;
  /** Share of entering values outside [grid min, grid max], in [0, 1]. */
  readonly outsideShare: number;
  /** Share of [grid min, grid max] spanned by [min, max] of the entering values, in [0, 1]. */
  readonly coverage: number;
  /** Smallest and largest entering value. */
  readonly values: Range;
  readonly explanation: string;
}

/**
 * Values entering a B-spline basis (efficient-KAN: `GreaterOrEqual(v, lo)` and
 * `Less(v, hi)` with constant knot tensors `[k, K]` or `[K]`, then the
 * Cox–de Boor recursion).
 */
export interface BSplineFinding {
  readonly kind: "b-spline";
  /** The `GreaterOrEqual` node. */
  readonly node: string;
  readonly input: string;
  /** Knots `t_0 … t_K`: smallest, largest, count per row (`K + 1`). */
  readonly knots: { readonly min: number; readonly max: number; readonly count: number };
  /** Spline order (degree) `p`, the number of Cox–de Boor recursion levels found in the graph. */
  readonly order: number;
  /**
   * Central grid `[t_p, t_{K−p}]` (`[t_0, t_K)` for `p = 0`) where the order-`p` bases sum to 1, and its
   * number of intervals `K − 2p` (over all rows: smallest start, largest end).
   */
  readonly central: { readonly min: number; readonly max: number; readonly intervals: number };
  readonly count: number;
  /** Share of entering values outside the knot span `[t_0, t_K)`: every basis is 0 there. */
  readonly outsideKnotShare: number;
  /** Share of entering values outside the central grid (the bases no longer sum to 1). */
  readonly outsideCentralShare: number;
  /** Share of the central grid spanned by [min, max] of the entering values, in [0, 1]. */
  readonly coverage: number;
  readonly values: Range;
  readonly explanation: string;
}

/** Either kind of basis finding. */
export type BasisFinding = RbfFinding | BSplineFinding;

/** Saturation of a `Sigmoid` or `Tanh` node. */
export interface SaturationFinding {
  readonly kind: "saturation";
  readonly node: string;
  readonly activation: "sigmoid" | "tanh";
  /** True for a sigmoid whose input is multiplied by its output (SiLU, `x·sigmoid(x)`). */
  readonly siluGate: boolean;
  /** Number of outputs measured. */
  readonly count: number;
  /** Fraction of the activation's largest derivative below which an output counts as saturated. */
  readonly level: number;
  /** The equivalent pre-activation threshold: saturated when `|z| >` this. */
  readonly zThreshold: number;
  /** Share of outputs whose local derivative is below `level · max`, in [0, 1]. */
  readonly share: number;
  /** Smallest and largest output. */
  readonly values: Range;
  readonly explanation: string;
}

/** Everything {@linkcode diagnoseGraph} measured. */
export interface GraphDiagnostics {
  /** The model's source path or label. */
  readonly source: string;
  /** Number of evaluation points `N`. */
  readonly points: number;
  /** Precision the graph ran in. */
  readonly dtype: "float32" | "float64";
  readonly layerNorms: readonly LayerNormFinding[];
  readonly bases: readonly BasisFinding[];
  readonly saturations: readonly SaturationFinding[];
}
