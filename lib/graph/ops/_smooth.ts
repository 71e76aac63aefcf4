/**
 * Twice-differentiable versions of tfjs ops whose built-in gradients break
 * second-order reverse mode (a gradient of a loss that contains a Jacobian,
 * as in Sobolev training):
 *
 * - Sigmoid, Tanh, Exp, Elu save their *output* for the backward pass, and
 *   tfjs differentiates the saved output as a constant, so the second
 *   derivative is wrong (e.g. d/dw of d sigmoid(w x)/dx misses the curvature);
 * - LeakyRelu, Minimum, Maximum and ClipByValue build their gradients from
 *   comparisons (Greater, LessEqual, LogicalAnd) that have no gradient, so a
 *   second backward pass throws.
 *
 * At kinks the derivatives follow PyTorch's conventions (see each function).
 *
 * Each op here is a `tf.customGrad` that saves its *inputs* and computes the
 * first derivative from them with ops whose own first derivatives are right,
 * so first and second derivatives are exact (third and higher are not needed).
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { broadcastShapes, expandTo, withoutGradient } from "../value.ts";

type Save = (tensors: tf.Tensor[]) => void;

/** `f(x)` with gradient `dy * df(x)`, `df` evaluated from the saved input. */
function unaryWithDerivative(
  f: (x: tf.Tensor) => tf.Tensor,
  df: (x: tf.Tensor) => tf.Tensor,
): (x: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad(
    ((x: tf.Tensor, save: Save) => {
      save([x]);
      return {
        value: f(x),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, df(saved[0]!)),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return (x) => op(x) as tf.Tensor;
}

/** 1 where `x > 0`, else 0, with a zero gradient (tfjs `step`). */
function positive(x: tf.Tensor): tf.Tensor {
  return tf.step(x, 0);
}

/** Logistic sigmoid; derivative `s (1 - s)` recomputed from x. */
export const sigmoid: (x: tf.Tensor) => tf.Tensor = unaryWithDerivative(tf.sigmoid, (x) => {
  const s = tf.sigmoid(x);
  return tf.mul(s, tf.sub(1, s));
});

/** Hyperbolic tangent; derivative `1 - tanh(x)^2` recomputed from x. */
export const tanh: (x: tf.Tensor) => tf.Tensor = unaryWithDerivative(
  tf.tanh,
  (x) => tf.sub(1, tf.square(tf.tanh(x))),
);

/** Exponential; derivative `exp(x)` recomputed from x. */
export const exp: (x: tf.Tensor) => tf.Tensor = unaryWithDerivative(tf.exp, tf.exp);

/**
 * `min(x, 0)`, with derivative 1 for `x <= 0` and 0 for `x > 0`: at `x = 0`
 * the ELU family (Elu, Selu, Celu, PRelu) then takes the derivative of its
 * negative branch, as PyTorch does (`elu'(0) = alpha`, `selu'(0) = scale * alpha`).
 */
export const negativePart: (x: tf.Tensor) => tf.Tensor = unaryWithDerivative(
  (x) => tf.neg(tf.relu(tf.neg(x))),
  (x) => tf.sub(1, positive(x)),
);

/** Leaky ReLU; derivative `alpha + (1 - alpha) step(x)`. */
export function leakyRelu(x: tf.Tensor, alpha: number): tf.Tensor {
  return unaryWithDerivative(
    (t) => tf.leakyRelu(t, alpha),
    (t) => tf.add(alpha, tf.mul(1 - alpha, positive(t))),
  )(x);
}

/**
 * `x` clipped to `[lo, hi]`; derivative 1 inside, 0 outside, and at the bounds
 * 1 when `inclusive` (PyTorch's `clamp`, also inside `hardswish`), else 0
 * (PyTorch's `hardsigmoid`).
 */
export function clip(x: tf.Tensor, lo: number, hi: number, inclusive = true): tf.Tensor {
  return unaryWithDerivative(
    (t) => tf.clipByValue(t, lo, hi),
    (t) =>
      withoutGradient(
        (u) =>
          tf.cast(
            inclusive
              ? tf.logicalAnd(tf.greaterEqual(u, lo), tf.lessEqual(u, hi))
              : tf.logicalAnd(tf.greater(u, lo), tf.less(u, hi)),
            "float32",
          ),
        [t],
      ),
  )(x);
}

/** `|x|`; derivative `sign(x)`, 0 at 0 as in PyTorch (tfjs's own gives -1 there). */
export const abs: (x: tf.Tensor) => tf.Tensor = unaryWithDerivative(tf.abs, tf.sign);

function extremum(a: tf.Tensor, b: tf.Tensor, takeMax: boolean): tf.Tensor {
  const dims = broadcastShapes(a.shape, b.shape);
  const op = tf.customGrad(
    ((p: tf.Tensor, q: tf.Tensor, save: Save) => {
      save([p, q]);
      return {
        value: takeMax ? tf.maximum(p, q) : tf.minimum(p, q),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [u, v] = saved as [tf.Tensor, tf.Tensor];
          // Ties go to the first operand, as tfjs and PyTorch do.
          const first = withoutGradient(
            (s, t) => tf.cast(takeMax ? tf.greaterEqual(s, t) : tf.lessEqual(s, t), "float32"),
            [u, v],
          );
          return [tf.mul(dy, first), tf.mul(dy, tf.sub(1, first))];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return op(expandTo(a, dims), expandTo(b, dims)) as tf.Tensor;
}

/** Elementwise maximum with broadcasting. */
export function maximum(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return extremum(a, b, true);
}

/** Elementwise minimum with broadcasting. */
export function minimum(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return extremum(a, b, false);
}

/**
 * `x ** e` for a tensor exponent (broadcast). tfjs's gradient to the exponent
 * masks `log x` with `where(x > 0)`, whose own gradient needs one of `Greater`,
 * which has none; here the mask is a constant: `d/de = x^e log x` where
 * `x > 0`, else 0, and `d/dx = e x^(e - 1)`.
 */
export function power(x: tf.Tensor, e: tf.Tensor): tf.Tensor {
  const dims = broadcastShapes(x.shape, e.shape);
  const op = tf.customGrad(
    ((a: tf.Tensor, b: tf.Tensor, save: Save) => {
      save([a, b]);
      return {
        value: tf.pow(a, b),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [u, v] = saved as [tf.Tensor, tf.Tensor];
          const positive = withoutGradient((t) => tf.cast(tf.greater(t, 0), "float32"), [u]);
          const safe = tf.add(tf.mul(u, positive), tf.sub(1, positive));
          return [
            tf.mul(dy, tf.mul(v, tf.pow(u, tf.sub(v, 1)))),
            tf.mul(dy, tf.mul(tf.pow(u, v), tf.mul(tf.log(safe), positive))),
          ];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return op(expandTo(x, dims), expandTo(e, dims)) as tf.Tensor;
}

/**
 * `where(c, a, b)` (same shapes) with gradients `dy · c` and `dy · (1 − c)`
 * from a constant mask: tfjs's own gradient applies `LogicalNot` to the
 * condition, which a second backward pass cannot differentiate.
 */
export function select(c: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype !== "float32") return tf.where(c, a, b);
  const op = tf.customGrad(
    ((cond: tf.Tensor, p: tf.Tensor, q: tf.Tensor, save: Save) => {
      save([cond]);
      return {
        value: tf.where(cond, p, q),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const m = withoutGradient((t) => tf.cast(t, "float32"), [saved[0]!]);
          return [tf.zeros(m.shape), tf.mul(dy, m), tf.mul(dy, tf.sub(1, m))];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return op(c, a, b) as tf.Tensor;
}

/**
 * Max or min over `axes`; the gradient goes to the extreme entries, shared
 * evenly between ties (as PyTorch's `amax`/`amin`), through a constant mask
 * (tfjs's own gradient compares with `Equal`, which has no gradient, so a
 * second backward pass throws).
 */
export function reduceExtremum(
  x: tf.Tensor,
  axes: number[],
  keepDims: boolean,
  takeMax: boolean,
): tf.Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const op = tf.customGrad(
    ((t: tf.Tensor, save: Save) => {
      save([t]);
      return {
        value: takeMax ? tf.max(t, axes, keepDims) : tf.min(t, axes, keepDims),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const share = withoutGradient((u) => {
            const extreme = takeMax ? tf.max(u, axes, true) : tf.min(u, axes, true);
            const hit = tf.cast(tf.equal(u, extreme), "float32");
            return tf.div(hit, tf.sum(hit, axes, true));
          }, [saved[0]!]);
          return tf.mul(tf.reshape(dy, kept), share);
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return op(x) as tf.Tensor;
}
