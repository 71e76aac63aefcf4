/**
 * Option parsing helpers shared by the commands.
 *
 * @module
 */
import { UsageError } from "./_errors.ts";

/** Parses an integer option, refusing anything else with a usage error. */
export function parseIntegerOption(
  name: string,
  value: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`Invalid ${name}: "${value}" is not an integer in [${min}, ${max}]`);
  }
  return n;
}

/** Parses a finite number option, refusing anything else with a usage error. */
export function parseNumberOption(
  name: string,
  value: string,
  min = -Infinity,
  max = Infinity,
): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`Invalid ${name}: "${value}" is not a number in [${min}, ${max}]`);
  }
  return n;
}
