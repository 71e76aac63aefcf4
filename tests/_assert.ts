/**
 * Typed facade over the Deno standard library's assertions (npm package
 * `deno-std`, compiled JavaScript without types). Only what the tests use.
 *
 * @module
 */
// @ts-types="./_assert.d.ts"
export {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertFalse,
  assertGreater,
  assertGreaterOrEqual,
  assertInstanceOf,
  AssertionError,
  assertLess,
  assertLessOrEqual,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "deno-std/assert/mod.js";
