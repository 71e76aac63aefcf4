import { assertAlmostEquals, assertEquals, assertLess } from "../_assert.ts";
import { type Evaluation, Lbfgs } from "../../lib/refit/lbfgs.ts";

/** Rosenbrock's function, minimum 0 at (1, …, 1). */
function rosenbrock(x: Float64Array): Evaluation {
  let f = 0;
  const g = new Float64Array(x.length);
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1]! - x[i]! ** 2;
    const b = 1 - x[i]!;
    f += 100 * a * a + b * b;
    g[i]! += -400 * x[i]! * a - 2 * b;
    g[i + 1]! += 200 * a;
  }
  return { f, g };
}

Deno.test("Lbfgs reaches the minimum of Rosenbrock's function in 10 dimensions, decreasing at every step", async () => {
  const x0 = Float64Array.from({ length: 10 }, (_, i) => (i % 2 ? 1 : -1.2));
  const opt = await Lbfgs.start(rosenbrock, x0);
  let previous = opt.f;
  let iterations = 0;
  while (opt.f > 1e-20 && iterations < 200) {
    const step = await opt.step();
    if (step.status !== "ok") break;
    assertLess(step.f, previous);
    previous = step.f;
    iterations++;
  }
  assertLess(iterations, 120);
  for (const v of opt.x) assertAlmostEquals(v, 1, 1e-7);
});

Deno.test("Lbfgs minimizes an ill-conditioned quadratic (condition number 1e3) to a gradient of 1e-8 within 250 iterations", async () => {
  const n = 20;
  const h = Float64Array.from({ length: n }, (_, i) => 10 ** (3 * i / (n - 1)));
  const quadratic = (x: Float64Array): Evaluation => {
    let f = 0;
    const g = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      f += 0.5 * h[i]! * (x[i]! - 1) ** 2;
      g[i] = h[i]! * (x[i]! - 1);
    }
    return { f, g };
  };
  const opt = await Lbfgs.start(quadratic, new Float64Array(n), { history: 20 });
  let iterations = 0;
  const gradNorm = () => Math.hypot(...opt.g);
  while (gradNorm() > 1e-8 && iterations < 250) {
    await opt.step();
    iterations++;
  }
  assertLess(gradNorm(), 1e-8);
  assertLess(iterations, 250);
});

Deno.test("Lbfgs.reset() re-evaluates a changed objective and keeps the point", async () => {
  let target = 1;
  const f = (x: Float64Array): Evaluation => ({
    f: (x[0]! - target) ** 2,
    g: Float64Array.of(2 * (x[0]! - target)),
  });
  const opt = await Lbfgs.start(f, Float64Array.of(0));
  for (let i = 0; i < 20 && opt.f > 1e-24; i++) await opt.step();
  assertAlmostEquals(opt.x[0]!, 1, 1e-10);
  target = 3;
  await opt.reset();
  assertAlmostEquals(opt.f, 4, 1e-9);
  for (let i = 0; i < 20 && opt.f > 1e-24; i++) await opt.step();
  assertAlmostEquals(opt.x[0]!, 3, 1e-10);
});

Deno.test("Lbfgs.step() reports no descent at a stationary point and evaluates nothing", async () => {
  const opt = await Lbfgs.start(
    (x) => ({ f: x[0]! ** 2, g: Float64Array.of(2 * x[0]!) }),
    Float64Array.of(0),
  );
  const step = await opt.step();
  assertEquals(step.status, "no-descent");
  assertEquals(step.evaluations, 0);
  assertEquals(opt.evaluations, 1);
});
