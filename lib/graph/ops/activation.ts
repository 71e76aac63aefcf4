/**
 * Activations: Relu, LeakyRelu, PRelu, Elu, Selu, Celu, ThresholdedRelu,
 * Sigmoid, HardSigmoid, HardSwish, Tanh, Softplus, Softsign, Mish, Erf, Clip.
 * Piecewise formulas are written without `where` so their gradients stay
 * finite (the exponential branch sees `min(x, 0)`, never a large positive x).
 * At a kink the derivative is PyTorch's: the negative branch's for the ELU
 * family, PRelu and LeakyRelu (`elu'(0) = alpha`), 0 for Relu and
 * ThresholdedRelu at the threshold and for HardSigmoid at its corners, the
 * inner one for HardSwish at ±3 and for Clip at its bounds. Every op is twice
 * differentiable in reverse mode (see `_smooth.ts`), for losses that contain
 * Jacobians.
 *
 * @module
 */
import { tf } from "../../tf/backend.ts";
import { isHost, toTensor, type Value } from "../value.ts";
import * as smooth from "./_smooth.ts";
import { need, scalarOf, unary } from "./_util.ts";
import type { OpEntry, PlannedNode, TranslateContext } from "./types.ts";

/**
 * `relu(x) + alpha * (exp(min(x, 0) / scale) - 1)`: x for x > 0,
 * alpha (e^(x / scale) - 1) otherwise (Elu and Selu: scale 1; Celu: scale alpha).
 */
function eluLike(x: tf.Tensor, alpha: number, scale = 1): tf.Tensor {
  const neg = smooth.negativePart(x);
  const inner = scale === 1 ? neg : tf.div(neg, scale);
  return tf.add(tf.relu(x), tf.mul(alpha, tf.sub(smooth.exp(inner), 1)));
}

function input0(node: PlannedNode, inputs: readonly (Value | undefined)[], ctx: TranslateContext) {
  return toTensor(need(node, inputs, 0, ctx));
}

function erfHost(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for float64; use a series / continued fraction.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 80; n++) {
      term *= -t * t / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for |x| >= 2.5.
  let f = t;
  let c = t;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = t + an * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = t + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-t * t) / (f * Math.sqrt(Math.PI));
  return Math.sign(x) * (1 - erfc);
}

/** The activation ops. */
export const ACTIVATION_OPS: readonly OpEntry[] = [
  unary("Relu", tf.relu, (x) => Math.max(x, 0)),
  unary("Sigmoid", smooth.sigmoid, (x) => 1 / (1 + Math.exp(-x))),
  unary("Tanh", smooth.tanh, Math.tanh),
  unary("Softplus", tf.softplus, (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))),
  unary("Softsign", (x) => tf.div(x, tf.add(1, tf.abs(x))), (x) => x / (1 + Math.abs(x))),
  unary("Erf", tf.erf, erfHost),
  {
    opType: "LeakyRelu",
    translate(node, inputs, ctx) {
      const alpha = node.attributes.number("alpha", 0.01);
      return [smooth.leakyRelu(toTensor(need(node, inputs, 0, ctx)), alpha)];
    },
  },
  {
    opType: "Elu",
    translate(node, inputs, ctx) {
      const alpha = node.attributes.number("alpha", 1);
      return [eluLike(toTensor(need(node, inputs, 0, ctx)), alpha)];
    },
  },
  {
    opType: "Selu",
    translate(node, inputs, ctx) {
      const alpha = node.attributes.number("alpha", 1.67326319217681884765625);
      const gamma = node.attributes.number("gamma", 1.05070102214813232421875);
      return [tf.mul(gamma, eluLike(toTensor(need(node, inputs, 0, ctx)), alpha))];
    },
  },
  {
    opType: "Celu",
    translate(node, inputs, ctx) {
      const alpha = node.attributes.number("alpha", 1);
      return [eluLike(input0(node, inputs, ctx), alpha, alpha)];
    },
  },
  {
    opType: "PRelu",
    translate(node, inputs, ctx) {
      const slope = toTensor(need(node, inputs, 1, ctx));
      const v = input0(node, inputs, ctx);
      return [tf.add(tf.relu(v), tf.mul(slope, smooth.negativePart(v)))];
    },
  },
  {
    opType: "ThresholdedRelu",
    translate(node, inputs, ctx) {
      const alpha = node.attributes.number("alpha", 1);
      const v = input0(node, inputs, ctx);
      // step() has a zero gradient: the derivative is 1 above alpha, 0 at and below it.
      return [tf.mul(v, tf.step(tf.sub(v, alpha), 0))];
    },
  },
  {
    opType: "HardSwish",
    translate(node, inputs, ctx) {
      const v = input0(node, inputs, ctx);
      return [tf.mul(v, smooth.clip(tf.add(tf.mul(v, 1 / 6), 0.5), 0, 1))];
    },
  },
  unary("Mish", (v) => tf.mul(v, smooth.tanh(tf.softplus(v)))),
  {
    opType: "HardSigmoid",
    translate(node, inputs, ctx) {
      const alpha = node.attributes.number("alpha", 0.2);
      const beta = node.attributes.number("beta", 0.5);
      const x = toTensor(need(node, inputs, 0, ctx));
      // PyTorch's hardsigmoid: derivative 0 at the kinks.
      return [smooth.clip(tf.add(tf.mul(x, alpha), beta), 0, 1, false)];
    },
  },
  {
    opType: "Clip",
    translate(node, inputs, ctx) {
      const x = toTensor(need(node, inputs, 0, ctx));
      let lo: Value | number = -Infinity;
      let hi: Value | number = Infinity;
      if (node.opset < 11) {
        lo = node.attributes.number("min", -3.4028234663852886e38);
        hi = node.attributes.number("max", 3.4028234663852886e38);
      } else {
        lo = inputs[1] ?? lo;
        hi = inputs[2] ?? hi;
      }
      const loN = typeof lo === "number" ? lo : isHost(lo) ? scalarOf(lo, node, ctx) : undefined;
      const hiN = typeof hi === "number" ? hi : isHost(hi) ? scalarOf(hi, node, ctx) : undefined;
      if (loN !== undefined && hiN !== undefined) return [smooth.clip(x, loN, hiN)];
      const bound = (v: Value | number) => (typeof v === "number" ? tf.scalar(v) : toTensor(v));
      return [smooth.minimum(smooth.maximum(x, bound(lo)), bound(hi))];
    },
  },
];
