/**
 * The seeded mutant cases: case `i` of seed `s` is the same file on every
 * machine and in every process, so a run can be split between processes and
 * any case replayed alone.
 *
 * @module
 */
import { mulberry32 } from "../../lib/sampling/prng.ts";
import type { FileKind } from "./_hostile.ts";
import { BASES, type FuzzContext } from "./_harness.ts";
import { mutate, MUTATIONS } from "./_mutate.ts";

/** The kinds, in the order cases cycle through them. */
export const KINDS: readonly FileKind[] = [
  "onnx",
  "pth",
  "safetensors",
  "inputs",
  "scaling",
  "equations",
];

/** One mutant. */
export interface MutantCase {
  readonly index: number;
  readonly kind: FileKind;
  readonly base: string;
  readonly bytes: Uint8Array;
  /** The mutations applied, in order. */
  readonly what: string;
  /** Chooses between equivalent commands (see `runCase`). */
  readonly variant: number;
}

/** Case `index` of `seed`: a bundled file of the next kind with 1 to 3 mutations. */
export function mutantCase(ctx: FuzzContext, seed: number, index: number): MutantCase {
  const random = mulberry32((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const kind = KINDS[index % KINDS.length]!;
  const bases = BASES[kind];
  const base = bases[Math.floor(random() * bases.length)]!;
  let bytes = ctx.bases.get(base)!;
  const steps: string[] = [];
  const count = 1 + Math.floor(random() * 3);
  for (let k = 0; k < count; k++) {
    const how = MUTATIONS[Math.floor(random() * MUTATIONS.length)]!;
    const m = mutate(bytes, kind, how, random);
    bytes = m.bytes;
    steps.push(`${how}: ${m.what}`);
  }
  return { index, kind, base, bytes, what: steps.join("; "), variant: Math.floor(random() * 4) };
}
