/**
 * `--fail-on CAUSES|any`: which found causes make a command exit with code 3,
 * the equivalent of OpenMDAO's `assert_check_partials` for a script or CI.
 *
 * @module
 */
import { type Cause, CAUSES } from "./verdict.ts";

/** Exit code of a command whose verdict found a cause named by `--fail-on`. */
export const FAIL_ON_EXIT_CODE = 3;

/**
 * Parses a `--fail-on` value: a comma-separated list of cause codes, or `any`.
 *
 * @throws {RangeError} Naming the unknown code and the valid ones.
 *
 * @example Usage
 * ```ts
 * import { parseFailOn } from "./fail_on.ts";
 * const causes = parseFailOn("scaling-file, user-jacobian");
 * if (!causes.has("user-jacobian") || causes.has("underfit")) throw new Error("unexpected set");
 * ```
 */
export function parseFailOn(value: string): ReadonlySet<Cause> {
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) {
    throw new RangeError(
      `Invalid --fail-on: "${value}" names no cause (${CAUSES.join(", ")}, or any)`,
    );
  }
  if (names.includes("any")) return new Set(CAUSES);
  for (const name of names) {
    if (!(CAUSES as readonly string[]).includes(name)) {
      throw new RangeError(
        `Invalid --fail-on: "${name}" is not a cause (${CAUSES.join(", ")}, or any)`,
      );
    }
  }
  return new Set(names as Cause[]);
}

/**
 * The exit code of a checked model: 1 when the toolkit's own engines disagree
 * (`differentiation`, always a failure), 3 when a cause in `failOn` was found,
 * else 0.
 */
export function verdictExitCode(causes: readonly Cause[], failOn: ReadonlySet<Cause>): number {
  if (causes.includes("differentiation")) return 1;
  return causes.some((c) => failOn.has(c)) ? FAIL_ON_EXIT_CODE : 0;
}
