/**
 * `partials check`'s verdict options as a user runs them: `--fail-on` exit
 * codes, tolerance flags, `--jacobian` errors.
 */
import { assertEquals, assertStringIncludes } from "../_assert.ts";
import { assertOneLineError, partials } from "./_partials.ts";
import { bundledPaths, SEED } from "../_bundled.ts";

const check = (...extra: string[]) =>
  partials(
    "check",
    "--model",
    bundledPaths("fastkan").onnx,
    "--scaling",
    SEED.scaling,
    "--inputs",
    SEED.inputs,
    "--reference",
    SEED.equations,
    ...extra,
  );

Deno.test("partials check --fail-on exits 3 only for a named cause that was found", async (t) => {
  await t.step("found (derivative-fit at --r2-min 0.9): exit 3", async () => {
    const r = await check("--r2-min", "0.9", "--fail-on", "derivative-fit,scaling-file");
    assertEquals(r.code, 3, r.stderr);
    assertStringIncludes(r.stdout.split("\n")[0]!, "Verdict: derivative-fit.");
    assertStringIncludes(r.stderr, "--fail-on: found derivative-fit (exit 3)");
  });
  await t.step("not found: exit 0", async () => {
    const r = await check("--fail-on", "scaling-file,user-jacobian");
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout.split("\n")[0]!, "Verdict: underfit.");
  });
  await t.step("an unknown cause is a usage error", async () => {
    assertOneLineError(await check("--fail-on", "wrong-units"), 2, '"wrong-units" is not a cause');
  });
  await t.step("a negative tolerance is a usage error", async () => {
    assertOneLineError(await check("--fit-tol", "-1"), 2, "Invalid --fit-tol");
  });
  await t.step(
    "a Jacobian file without the d<out>_d<in> columns names the first missing",
    async () => {
      assertOneLineError(await check("--jacobian", SEED.inputs), 1, "no Jacobian column df1_dx1");
    },
  );
});
