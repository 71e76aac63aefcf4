import { assertEquals, assertMatch } from "../_assert.ts";
import { SEED } from "../_bundled.ts";
import { checkModel } from "../../lib/check/check.ts";
import { readNumericCsv } from "../../lib/io/table.ts";
import { loadReference } from "../../lib/reference/load.ts";
import { refitDataFromReference, selectRows } from "../../lib/refit/data.ts";
import { explainRefit } from "../../lib/refit/explain.ts";
import { refit, type RefitResult } from "../../lib/refit/refit.ts";
import { loadSurrogate, selectInputColumns } from "../../lib/surrogate/surrogate.ts";

const LN_FASTKAN = new URL("../testdata/faults/models/ln_fastkan/model.onnx", import.meta.url)
  .pathname;

Deno.test("explainRefit() and check agree: a first-layer LayerNorm without a bypass is why the target is missed", async () => {
  const surrogate = await loadSurrogate(LN_FASTKAN, { scaling: SEED.scaling });
  try {
    const reference = await loadReference(SEED.equations);
    const held = await readNumericCsv(SEED.inputs);
    const check = await checkModel(
      surrogate,
      reference,
      selectInputColumns(held, surrogate.inputs, SEED.inputs),
    );
    assertEquals(check.verdict.cause, "architecture");

    const samples = await readNumericCsv(SEED.samples);
    const all = refitDataFromReference(
      reference,
      selectInputColumns(samples, surrogate.inputs, SEED.samples),
    );
    const data = selectRows(all, Array.from({ length: 120 }, (_, k) => k));
    const result = await refit(surrogate, data, { epochs: 2, lbfgsIterations: 3, seed: 1 });
    const outcome = await explainRefit(surrogate, result, { reference });
    assertEquals(outcome.reached, false);
    const structure = outcome.findings.find((f) => f.kind === "structure")!;
    assertEquals(structure.holds, true);
    assertMatch(outcome.reasons[0]!, /first-layer LayerNorm .* no path around it/);
  } finally {
    await surrogate.dispose();
  }
});

Deno.test("explainRefit() reports a reached target without findings", async () => {
  const m = (e: number, r2: number) => ({
    points: 1,
    entries: [],
    outputs: [{
      output: "f",
      r2,
      valueRangeNormalizedError: 0,
      jacobianRowNormalizedError: e,
      jacobianRowNormalizedMedian: e,
    }],
  });
  const result = { before: m(0.5, 0.99), after: m(0.004, 0.999) } as unknown as RefitResult;
  // the surrogate is not needed when the target is reached
  const outcome = await explainRefit(undefined as never, result, { target: 0.01 });
  assertEquals(outcome.reached, true);
  assertEquals(outcome.findings, []);
});
