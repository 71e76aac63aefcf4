import { assertAlmostEquals, assertEquals, assertMatch } from "../_assert.ts";
import { closingHint, formatEpochLine } from "../../lib/cli/commands/refit.ts";
import { lateImprovement } from "../../lib/refit/explain.ts";
import type { EpochInfo, RefitResult } from "../../lib/refit/refit.ts";

const INFO: EpochInfo = {
  epoch: 12,
  phase: "lbfgs",
  step: 120,
  steps: 5000,
  epochs: 5000,
  trainLoss: 1.5e-4,
  holdoutLoss: 2.5e-4,
  holdoutValueLoss: 1e-6,
  holdoutJacobianLoss: 2.49e-4,
  holdoutJacobianError: [0.0123, 0.2, 0.004, 0.5],
  holdoutR2: [0.99991, 0.9999, 0.99999, 0.99995],
  learningRate: 1,
  trainPoints: 1600,
  bestEpoch: 11,
  elapsedMs: 65_000,
  etaMs: 115_000,
};

Deno.test("formatEpochLine() shows the phase, loss parts, held-out Jacobian error per output, R² and ETA", () => {
  const line = formatEpochLine(INFO, ["f1", "f2", "f3", "f4"]);
  assertEquals(
    line,
    "lbfgs 120/5000  train 1.50e-4  held-out 2.50e-4 = 1.00e-6 + λ·2.49e-4  J err f1 1.2% f2 20% f3 0.40% f4 50%  R² ≥ 0.99990  best 11  1:05 ETA 1:55",
  );
  const many = formatEpochLine(
    { ...INFO, holdoutJacobianError: [0.1, 0.3, 0.2, 0.1, 0.05], holdoutR2: [1, 1, 1, 1, 1] },
    ["a", "b", "c", "d", "e"],
  );
  assertMatch(many, /J err max 30% \(b\)/);
});

Deno.test("closingHint() speaks only when a run cut short was still improving", () => {
  const result = (
    bestEpoch: number,
    stopReason: RefitResult["stopReason"],
    history: EpochInfo[] = [INFO, INFO, INFO],
  ) => ({ bestEpoch, stopReason, history, options: { target: 0.01 } }) as unknown as RefitResult;
  assertMatch(closingHint(result(3, "budget"))!, /still falling/);
  assertMatch(closingHint(result(3, "steps"))!, /--budget/);
  assertEquals(closingHint(result(2, "budget")), undefined);
  assertEquals(closingHint(result(3, "converged")), undefined);
  // best checkpoint 3 of 4, but the errors fell 20 % over the last quarter: still improving
  const at = (elapsedMs: number, e: number) => ({
    ...INFO,
    elapsedMs,
    holdoutJacobianError: [e, e, e, e],
  });
  const falling = [at(10, 0.05), at(50, 0.04), at(80, 0.032), at(100, 0.033)];
  assertMatch(closingHint(result(3, "budget", falling))!, /still falling/);
  assertAlmostEquals(lateImprovement(result(3, "budget", falling), 0.01), 1 - 0.032 / 0.04, 1e-12);
  const flat = [at(10, 0.05), at(50, 0.04), at(80, 0.0399), at(100, 0.0401)];
  assertEquals(closingHint(result(3, "budget", flat)), undefined);
  // errors below the target count as the target: a run at the target everywhere is flat
  assertEquals(lateImprovement(result(3, "budget", [at(10, 0.005), at(100, 0.001)]), 0.01), 0);
});
