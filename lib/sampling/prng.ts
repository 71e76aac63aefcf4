/**
 * A small seeded pseudo-random generator, so that sampling is reproducible
 * byte for byte on every platform without a dependency.
 *
 * @module
 */

/**
 * Returns a generator of uniform numbers in `[0, 1)` seeded with a 32-bit
 * integer. The algorithm is Mulberry32 (Tommy Ettinger, public domain): a
 * 32-bit state advanced by the Weyl constant `0x6D2B79F5` and mixed by two
 * multiply-xorshift rounds; each call yields 32 random bits divided by 2^32.
 * It passes gjrand and PractRand up to gigabytes, ample for experiment design;
 * it is not for cryptography.
 *
 * @param seed Integer in `[0, 2^32)`.
 * @throws {RangeError} If `seed` is not an integer in that range.
 *
 * @example Usage
 * ```ts
 * import { mulberry32 } from "./prng.ts";
 * const a = mulberry32(7), b = mulberry32(7);
 * const u = a();
 * if (u !== b() || u < 0 || u >= 1) throw new Error("not reproducible");
 * ```
 */
export function mulberry32(seed: number): () => number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Cannot seed the generator: ${seed} is not an integer in [0, 4294967295]`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in `[0, n)` from a generator of `[0, 1)` numbers. */
export function randomInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}
