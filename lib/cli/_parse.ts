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

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * Parses a duration option into milliseconds: a number with a unit, or several
 * (`90s`, `5m`, `1h`, `1m30s`, `250ms`); a bare number is seconds.
 */
export function parseDurationOption(name: string, value: string): number {
  const text = value.trim();
  let ms = NaN;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = 1000 * Number(text);
  } else if (/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(text)) {
    ms = 0;
    for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
      ms += Number(amount) * DURATION_UNITS[unit!]!;
    }
  }
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new UsageError(
      `Invalid ${name}: "${value}" is not a positive duration such as 90s, 5m or 1h`,
    );
  }
  return ms;
}
