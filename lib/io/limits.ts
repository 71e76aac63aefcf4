/**
 * Size limits checked before the toolkit reads or allocates anything a file
 * declares: a file's size, a tensor's element count (ONNX initializers and
 * shapes, state_dict tensors, views), a zip archive's entry count and
 * uncompressed size, a CSV's width, an equation's length and nesting, a
 * model's input and output width. A file beyond a limit is refused with one
 * line that names it, the limit and how to raise it.
 *
 * The limits are process-wide. Raise one from the environment,
 * `PARTIALS_LIMITS="maxFileBytes=4e9,maxTensorElements=5e8"`, or from code
 * with {@linkcode setLimits}.
 *
 * @module
 */

/** The limits, each a count (bytes, elements, columns, characters). */
export interface Limits {
  /** Largest file read, in bytes. @default {1 GiB} */
  readonly maxFileBytes: number;
  /**
   * Most elements of one tensor, and of all tensors of one state_dict together
   * (a float64 tensor at the limit takes 1 GiB). @default {2^27 (134,217,728)}
   */
  readonly maxTensorElements: number;
  /** Most entries of a zip archive (`.pth`). @default {65,536} */
  readonly maxZipEntries: number;
  /** Largest total uncompressed size of the zip entries read, in bytes. @default {1 GiB} */
  readonly maxUncompressedBytes: number;
  /** Most columns of a CSV file. @default {100,000} */
  readonly maxCsvColumns: number;
  /** Most cells of a CSV file read whole (rows × columns). @default {2^24 (16,777,216)} */
  readonly maxCsvCells: number;
  /** Longest line (or quoted record) of a CSV file, in characters. @default {2^24} */
  readonly maxCsvLineLength: number;
  /** Most inputs or outputs of a model. @default {100,000} */
  readonly maxModelWidth: number;
  /** Longest equation, in characters. @default {10,000} */
  readonly maxExpressionLength: number;
  /** Deepest nesting of an equation's brackets. @default {64} */
  readonly maxExpressionDepth: number;
  /**
   * Most nodes (numbers, variables, operations, calls) of an equation; the
   * symbolic derivative of a product of `k` factors has about `k²`. @default {1,000}
   */
  readonly maxExpressionNodes: number;
}

/** The defaults (see {@linkcode Limits}). */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxFileBytes: 2 ** 30,
  maxTensorElements: 2 ** 27,
  maxZipEntries: 65_536,
  maxUncompressedBytes: 2 ** 30,
  maxCsvColumns: 100_000,
  maxCsvCells: 2 ** 24,
  maxCsvLineLength: 2 ** 24,
  maxModelWidth: 100_000,
  maxExpressionLength: 10_000,
  maxExpressionDepth: 64,
  maxExpressionNodes: 1_000,
});

let current: Limits | undefined;

/**
 * The limits in force: the defaults, overridden by `PARTIALS_LIMITS` (read once).
 *
 * @throws {RangeError} If `PARTIALS_LIMITS` names an unknown limit or a value that is not a positive number.
 */
export function limits(): Limits {
  current ??= { ...DEFAULT_LIMITS, ...parseLimits(readEnv()) };
  return current;
}

/**
 * Overrides some limits for this process (the others keep their values).
 *
 * @returns The limits before the change, to restore them with another call.
 * @throws {RangeError} If a value is not a positive number.
 *
 * @example Usage
 * ```ts
 * import { limits, setLimits } from "./limits.ts";
 * const before = setLimits({ maxCsvColumns: 10 });
 * if (limits().maxCsvColumns !== 10) throw new Error("not set");
 * setLimits(before);
 * ```
 */
export function setLimits(changes: Partial<Limits>): Limits {
  const before = limits();
  for (const [key, value] of Object.entries(changes)) checkLimit(key, value);
  current = { ...before, ...changes };
  return before;
}

/** The one-line hint every limit message ends with. */
export function raiseHint(name: keyof Limits): string {
  return `raise it with PARTIALS_LIMITS="${name}=…"`;
}

function readEnv(): string | undefined {
  try {
    return Deno.env.get("PARTIALS_LIMITS");
  } catch {
    return undefined; // No --allow-env: the defaults.
  }
}

function parseLimits(text: string | undefined): Partial<Limits> {
  if (text === undefined || text.trim() === "") return {};
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const [key = "", value = ""] = part.split("=").map((s) => s.trim());
    checkLimit(key, Number(value), value);
    out[key] = Number(value);
  }
  return out as Partial<Limits>;
}

function checkLimit(key: string, value: unknown, text = String(value)): void {
  if (!Object.hasOwn(DEFAULT_LIMITS, key)) {
    throw new RangeError(
      `Invalid PARTIALS_LIMITS: unknown limit "${key.slice(0, 40)}" (known: ${
        Object.keys(DEFAULT_LIMITS).join(", ")
      })`,
    );
  }
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Invalid PARTIALS_LIMITS: ${key}=${text.slice(0, 40)} is not a positive number`,
    );
  }
}
