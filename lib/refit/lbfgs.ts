/**
 * Limited-memory BFGS with a strong Wolfe line search, for full-batch training
 * of small networks after Adam (the usual second phase for scientific
 * networks). Written here because no maintained JavaScript package provides it:
 * the npm candidates (`fmin` 0.0.4, `optimization-js` 1.5.0) are unmaintained
 * since 2017–2018 and neither lets the caller stop between iterations, reset
 * the memory when the data change, or evaluate asynchronously; tfjs has no
 * quasi-Newton optimizer. The algorithm follows Nocedal & Wright, *Numerical
 * Optimization* (2nd ed.): the two-loop recursion (Algorithm 7.4) with the
 * scaling `γ = sᵀy / yᵀy`, and the line search of Algorithms 3.5 and 3.6 with
 * cubic interpolation.
 *
 * @module
 */

/** Value and gradient of the objective at a point. */
export interface Evaluation {
  /** The objective value. */
  readonly f: number;
  /** Its gradient, same length as the point. */
  readonly g: Float64Array;
}

/** The objective: value and gradient at `x` (float64 on the host; may compute in float32). */
export type Objective = (x: Float64Array) => Evaluation | Promise<Evaluation>;

/** Options of {@linkcode Lbfgs}. */
export interface LbfgsOptions {
  /** Number of correction pairs kept. @default {20} */
  history?: number;
  /** Sufficient-decrease constant `c1` of the Wolfe conditions. @default {1e-4} */
  c1?: number;
  /** Curvature constant `c2` of the Wolfe conditions. @default {0.9} */
  c2?: number;
  /** Objective evaluations allowed in one line search. @default {20} */
  maxLineSearchEvaluations?: number;
}

/** The outcome of one {@linkcode Lbfgs.step}. */
export interface LbfgsStep {
  /** Objective value at the new point (unchanged when the step failed). */
  readonly f: number;
  /** Objective evaluations this step used. */
  readonly evaluations: number;
  /** Step length along the search direction (0 when the step failed). */
  readonly step: number;
  /**
   * `"ok"`; `"no-descent"` when the search direction was not a descent
   * direction even after dropping the memory (gradient 0 or round-off);
   * `"line-search"` when no point of lower value was found (round-off: the
   * objective is computed in float32).
   */
  readonly status: "ok" | "no-descent" | "line-search";
}

/**
 * An L-BFGS minimizer stepped by the caller, so that training can stop on a
 * deadline or a signal between iterations and restart its memory when the
 * objective changes (new training points).
 *
 * @example Usage
 * ```ts
 * import { Lbfgs } from "./lbfgs.ts";
 * // Rosenbrock's function, minimum 0 at (1, 1)
 * const rosenbrock = (x: Float64Array) => ({
 *   f: 100 * (x[1]! - x[0]! ** 2) ** 2 + (1 - x[0]!) ** 2,
 *   g: Float64Array.of(
 *     -400 * x[0]! * (x[1]! - x[0]! ** 2) - 2 * (1 - x[0]!),
 *     200 * (x[1]! - x[0]! ** 2),
 *   ),
 * });
 * const opt = await Lbfgs.start(rosenbrock, Float64Array.of(-1.2, 1));
 * for (let i = 0; i < 100 && opt.f > 1e-16; i++) await opt.step();
 * if (Math.abs(opt.x[0]! - 1) > 1e-6) throw new Error(`x = ${opt.x}`);
 * ```
 */
export class Lbfgs {
  readonly #objective: Objective;
  readonly #history: number;
  readonly #c1: number;
  readonly #c2: number;
  readonly #maxEvals: number;
  #x: Float64Array;
  #f: number;
  #g: Float64Array;
  #s: Float64Array[] = [];
  #y: Float64Array[] = [];
  #rho: number[] = [];
  #evaluations = 1;

  private constructor(objective: Objective, x: Float64Array, e: Evaluation, options: LbfgsOptions) {
    this.#objective = objective;
    this.#history = options.history ?? 20;
    this.#c1 = options.c1 ?? 1e-4;
    this.#c2 = options.c2 ?? 0.9;
    this.#maxEvals = options.maxLineSearchEvaluations ?? 20;
    if (!(this.#history >= 1) || !(this.#c1 > 0 && this.#c1 < this.#c2 && this.#c2 < 1)) {
      throw new RangeError(
        `Cannot start L-BFGS: need history ≥ 1 and 0 < c1 < c2 < 1, got ${this.#history}, ${this.#c1}, ${this.#c2}`,
      );
    }
    this.#x = x;
    this.#f = e.f;
    this.#g = e.g;
  }

  /**
   * Evaluates the objective at `x0` and returns a minimizer positioned there.
   *
   * @param objective Value and gradient.
   * @param x0 Starting point (copied).
   * @param options Memory and line-search constants.
   * @throws {RangeError} If the objective is not finite at `x0` or an option is out of range.
   */
  static async start(
    objective: Objective,
    x0: Float64Array,
    options: LbfgsOptions = {},
  ): Promise<Lbfgs> {
    const x = Float64Array.from(x0);
    const e = await objective(x);
    if (!Number.isFinite(e.f) || e.g.length !== x.length) {
      throw new RangeError(
        `Cannot start L-BFGS: the objective at the starting point is ${e.f} with a gradient of length ${e.g.length} for ${x.length} parameters`,
      );
    }
    return new Lbfgs(objective, x, e, options);
  }

  /** The current point (do not modify). */
  get x(): Float64Array {
    return this.#x;
  }

  /** The objective value at the current point. */
  get f(): number {
    return this.#f;
  }

  /** The gradient at the current point (do not modify). */
  get g(): Float64Array {
    return this.#g;
  }

  /** Objective evaluations so far, the starting one included. */
  get evaluations(): number {
    return this.#evaluations;
  }

  /**
   * Forgets the curvature pairs and re-evaluates the objective at the current
   * point: call it when the objective has changed (e.g. new training points).
   */
  async reset(): Promise<void> {
    this.#s = [];
    this.#y = [];
    this.#rho = [];
    const e = await this.#objective(this.#x);
    this.#evaluations++;
    this.#f = e.f;
    this.#g = e.g;
  }

  /** One iteration: direction by the two-loop recursion, then a strong Wolfe line search. */
  async step(): Promise<LbfgsStep> {
    let d = this.#direction();
    let slope = dot(this.#g, d);
    if (!(slope < 0) && this.#s.length > 0) {
      // The memory gives an uphill direction (round-off): fall back to steepest descent.
      this.#s = [];
      this.#y = [];
      this.#rho = [];
      d = this.#direction();
      slope = dot(this.#g, d);
    }
    if (!(slope < 0)) return { f: this.#f, evaluations: 0, step: 0, status: "no-descent" };
    const initial = this.#s.length === 0 ? Math.min(1, 1 / norm1(this.#g)) : 1;
    const found = await this.#lineSearch(d, slope, initial);
    if (found === undefined || !(found.f < this.#f)) {
      this.#s = [];
      this.#y = [];
      this.#rho = [];
      return {
        f: this.#f,
        evaluations: found?.evaluations ?? this.#maxEvals,
        step: 0,
        status: "line-search",
      };
    }
    const s = new Float64Array(d.length);
    const y = new Float64Array(d.length);
    for (let i = 0; i < d.length; i++) {
      s[i] = found.alpha * d[i]!;
      y[i] = found.g[i]! - this.#g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-10 * Math.sqrt(dot(s, s) * dot(y, y))) {
      this.#s.push(s);
      this.#y.push(y);
      this.#rho.push(1 / sy);
      if (this.#s.length > this.#history) {
        this.#s.shift();
        this.#y.shift();
        this.#rho.shift();
      }
    }
    this.#x = found.x;
    this.#f = found.f;
    this.#g = found.g;
    return { f: found.f, evaluations: found.evaluations, step: found.alpha, status: "ok" };
  }

  /** `−H·g` by the two-loop recursion (steepest descent without memory). */
  #direction(): Float64Array {
    const q = Float64Array.from(this.#g);
    const k = this.#s.length;
    const alpha = new Float64Array(k);
    for (let i = k - 1; i >= 0; i--) {
      alpha[i] = this.#rho[i]! * dot(this.#s[i]!, q);
      axpy(-alpha[i]!, this.#y[i]!, q);
    }
    if (k > 0) {
      const y = this.#y[k - 1]!;
      const gamma = dot(this.#s[k - 1]!, y) / dot(y, y);
      for (let j = 0; j < q.length; j++) q[j]! *= gamma;
    }
    for (let i = 0; i < k; i++) {
      const beta = this.#rho[i]! * dot(this.#y[i]!, q);
      axpy(alpha[i]! - beta, this.#s[i]!, q);
    }
    for (let j = 0; j < q.length; j++) q[j] = -q[j]!;
    return q;
  }

  /**
   * Nocedal & Wright Algorithm 3.5 (bracketing) and 3.6 (zoom): a step
   * satisfying the strong Wolfe conditions, or the lowest point seen when the
   * evaluations run out; `undefined` if no finite value was found.
   */
  async #lineSearch(
    d: Float64Array,
    slope0: number,
    initial: number,
  ): Promise<
    { alpha: number; x: Float64Array; f: number; g: Float64Array; evaluations: number } | undefined
  > {
    const f0 = this.#f;
    const c1 = this.#c1, c2 = this.#c2;
    let evaluations = 0;
    type Point = { alpha: number; x: Float64Array; f: number; g: Float64Array; slope: number };
    let best: Point | undefined;
    const at = async (alpha: number): Promise<Point> => {
      const x = new Float64Array(d.length);
      for (let i = 0; i < x.length; i++) x[i] = this.#x[i]! + alpha * d[i]!;
      const e = await this.#objective(x);
      evaluations++;
      this.#evaluations++;
      const p = { alpha, x, f: e.f, g: e.g, slope: dot(e.g, d) };
      if (Number.isFinite(p.f) && (best === undefined || p.f < best.f)) best = p;
      return p;
    };
    const done = (p: Point | undefined) => p && { ...p, evaluations };
    const armijo = (p: Point) => p.f <= f0 + c1 * p.alpha * slope0;
    const curvature = (p: Point) => Math.abs(p.slope) <= -c2 * slope0;

    const zoom = async (lo: Point, hi: Point) => {
      while (evaluations < this.#maxEvals) {
        const width = hi.alpha - lo.alpha;
        if (Math.abs(width) * normInf(d) < 1e-12 * (1 + normInf(this.#x))) break;
        let alpha = cubicMinimizer(lo, hi);
        const a = Math.min(lo.alpha, hi.alpha), b = Math.max(lo.alpha, hi.alpha);
        const margin = 0.1 * (b - a);
        if (!(alpha >= a + margin && alpha <= b - margin)) alpha = (a + b) / 2;
        const p = await at(alpha);
        if (!Number.isFinite(p.f) || !armijo(p) || p.f >= lo.f) {
          hi = p;
        } else {
          if (curvature(p)) return p;
          if (p.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
          lo = p;
        }
      }
      return best;
    };

    const start: Point = { alpha: 0, x: this.#x, f: f0, g: this.#g, slope: slope0 };
    let previous = start;
    let alpha = initial;
    while (evaluations < this.#maxEvals) {
      const p = await at(alpha);
      if (!Number.isFinite(p.f) || !armijo(p) || (previous.alpha > 0 && p.f >= previous.f)) {
        return done(await zoom(previous, p));
      }
      if (curvature(p)) return done(p);
      if (p.slope >= 0) return done(await zoom(p, previous));
      // Extrapolate: the cubic's minimizer beyond p, kept within [1.1, 10]·α.
      const next = cubicMinimizer(previous, p);
      alpha = Number.isFinite(next) && next > 1.1 * p.alpha
        ? Math.min(next, 10 * p.alpha)
        : 2 * p.alpha;
      previous = p;
    }
    return done(best);
  }
}

/** Minimizer of the cubic through two points with their slopes (NaN if it has none). */
function cubicMinimizer(
  p: { alpha: number; f: number; slope: number },
  q: { alpha: number; f: number; slope: number },
): number {
  const d1 = p.slope + q.slope - 3 * (p.f - q.f) / (p.alpha - q.alpha);
  const disc = d1 * d1 - p.slope * q.slope;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(q.alpha - p.alpha) * Math.sqrt(disc);
  return q.alpha - (q.alpha - p.alpha) * (q.slope + d2 - d1) / (q.slope - p.slope + 2 * d2);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}

function norm1(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]!);
  return s;
}

function normInf(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i]!));
  return s;
}
