import { numericalRank } from "../../lib/diagnose/mod.ts";
import { assertEquals, assertThrows } from "../_assert.ts";

Deno.test("numericalRank() gives k for the identity and 0 for the zero matrix", () => {
  assertEquals(numericalRank(Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), 3), 3);
  assertEquals(numericalRank(new Float64Array(9), 3), 0);
});

Deno.test("numericalRank() gives 1 for an outer product and 2 for a sum of two", () => {
  const u = [1, -2, 0.5, 3];
  const v = [2, 1, -1, 0.25];
  const w = [0, 1, 1, -4];
  const outer = new Float64Array(16);
  const two = new Float64Array(16);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      outer[i * 4 + j] = u[i]! * v[j]!;
      two[i * 4 + j] = u[i]! * v[j]! + w[i]! * u[j]!;
    }
  }
  assertEquals(numericalRank(outer, 4), 1);
  assertEquals(numericalRank(two, 4), 2);
});

Deno.test("numericalRank() counts a pivot only above tolerance · max|A|", () => {
  // diag(1, 1e-4): the second pivot is 1e-4 of the first
  const a = Float64Array.of(1, 0, 0, 1e-4);
  assertEquals(numericalRank(a, 2), 1);
  assertEquals(numericalRank(a, 2, { tolerance: 1e-5 }), 2);
  // the relative test is scale-free
  assertEquals(numericalRank(Float64Array.of(1e-9, 0, 0, 1e-13), 2), 1);
});

Deno.test("numericalRank() refuses a wrong length and a tolerance outside [0, 1)", () => {
  assertThrows(() => numericalRank(new Float64Array(5), 2), TypeError, "5 values for a 2 x 2");
  assertThrows(
    () => numericalRank(new Float64Array(4), 2, { tolerance: 1 }),
    RangeError,
    "tolerance 1",
  );
});
