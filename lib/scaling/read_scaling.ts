/**
 * Reading a scaling file: the CSV `Variable,Min,Max` form (min-max to [0, 1],
 * the user's `olhs_samples_max_min.csv`) or a JSON form for every kind.
 *
 * @module
 */
import { readTextFile } from "../io/table.ts";
import { parseRangeCsv } from "./range_csv.ts";
import {
  identityScaler,
  minMaxScaler,
  type Scaling,
  type VariableScaler,
  zScoreScaler,
} from "./scaler.ts";
import { describeError, hasControl, quote } from "../io/quote.ts";

/** Options of {@linkcode readScaling} and {@linkcode parseScaling}. */
export interface ReadScalingOptions {
  /** Number of model inputs `n`: the first `n` variables of the file. */
  inputCount: number;
  /** Number of model outputs `m`: the next `m` variables. */
  outputCount: number;
  /**
   * Input names from the inputs CSV header, in model order. When given, the
   * file's input names must equal them; a file without names takes them.
   * @default {undefined} (no check; unnamed inputs are `x1..xn`)
   */
  inputNames?: readonly string[];
  /**
   * Told, in one line naming the file, what the file left to assumption: no
   * names (rows taken in model order), cells separated by semicolons or tabs.
   * @default {undefined} (no warnings)
   */
  onWarning?: (message: string) => void;
}

/**
 * Reads a scaling file for a model with `n` inputs and `m` outputs.
 *
 * CSV form (any extension but `.json`): one row per variable, the model's
 * inputs first in model order, then its outputs; columns matched
 * case-insensitively: optional `Variable` or `Name`, `Min`, `Max`. Every
 * variable is scaled min-max to [0, 1]: `xn = (x − min) / (max − min)`.
 * Names default to `x1..xn` and `y1..ym`.
 *
 * JSON form (`.json`):
 * ```json
 * { "inputs":  [{ "name": "x1", "kind": "minmax", "min": 0.5, "max": 2.5, "range": [-1, 1] },
 *               { "name": "x2", "kind": "zscore", "mean": 1.5, "std": 0.6 }],
 *   "outputs": [{ "name": "f1", "kind": "identity" }] }
 * ```
 * `kind` defaults to `"minmax"`, `range` to `[0, 1]`, `name` as for the CSV form.
 *
 * @param path The scaling file.
 * @param options Model widths and, optionally, the inputs CSV's names.
 * @returns The scaling, `inputs` of length `n`, `outputs` of length `m`.
 * @throws {Error} If the file does not exist.
 * @throws {SyntaxError} Unparseable text, a missing `Min`/`Max` column or field,
 *   a non-numeric cell, a row count other than `n + m`, a name that differs from the inputs CSV's.
 * @throws {RangeError} A zero or negative range, a non-positive `std`.
 *   Every message names the file and the row or variable.
 *
 * @example Usage
 * ```ts
 * import { readScaling } from "./read_scaling.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/s.csv`, "Variable,Min,Max\nx1,0,2\nf1,10,20\n");
 * const s = await readScaling(`${dir}/s.csv`, { inputCount: 1, outputCount: 1 });
 * if (s.inputs[0]?.scale !== 0.5 || s.outputs[0]?.name !== "f1") throw new Error("unexpected");
 * ```
 */
export async function readScaling(path: string, options: ReadScalingOptions): Promise<Scaling> {
  return parseScaling(await readTextFile(path), path, options);
}

/**
 * Parses the text of a scaling file; see {@linkcode readScaling}. The JSON
 * form is recognized by a `.json` suffix of `source` or text starting with `{`.
 *
 * @param text File content.
 * @param source File name, used in error messages.
 */
export function parseScaling(
  text: string,
  source: string,
  options: ReadScalingOptions,
): Scaling {
  const { inputCount: n, outputCount: m, inputNames } = options;
  for (const [what, count] of [["input", n], ["output", m]] as const) {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new RangeError(
        `Cannot read ${source}: the model's ${what} count ${count} is not positive`,
      );
    }
  }
  if (inputNames !== undefined && inputNames.length !== n) {
    throw new TypeError(
      `Cannot read ${source}: ${inputNames.length} input names given for a model with ${n} inputs`,
    );
  }
  const json = /\.json$/i.test(source) || text.trimStart().startsWith("{");
  const scaling = json
    ? parseJsonScaling(text, source, n, m)
    : parseCsvScaling(text, source, n, m, options.onWarning);
  if (scaling.named.every((named) => !named)) {
    options.onWarning?.(
      `${source} names no variables: its rows are taken in model order (inputs ${
        inputNames === undefined ? `x1..x${n}` : "as the inputs CSV names them"
      }, then outputs y1..y${m}); add a Variable column to have the order checked`,
    );
  }
  if (inputNames !== undefined) {
    scaling.named.forEach((named, j) => {
      if (!named) return;
      const got = scaling.inputs[j]!.name, want = inputNames[j]!;
      if (got !== want) {
        throw new SyntaxError(
          `Cannot match the inputs to ${source}: the inputs CSV's column ${j + 1} is ${
            quote(want, 40)
          }, the scaling file's input ${j + 1} is ${
            quote(got, 40)
          } (inputs are matched by name and order; rename the column or reorder the scaling file)`,
        );
      }
    });
    scaling.inputs = scaling.inputs.map((s, j) => ({ ...s, name: inputNames[j]! }));
  }
  return { inputs: scaling.inputs, outputs: scaling.outputs };
}

interface Parsed {
  inputs: VariableScaler[];
  outputs: VariableScaler[];
  /** Whether input `j` was named by the file. */
  named: boolean[];
}

function countMessage(source: string, got: number, n: number, m: number): string {
  return `Cannot read ${source}: it has ${got} variable${got === 1 ? "" : "s"}, the model needs ${
    n + m
  } (${n} inputs + ${m} outputs)`;
}

function parseCsvScaling(
  text: string,
  source: string,
  n: number,
  m: number,
  onWarning: ((message: string) => void) | undefined,
): Parsed {
  const rows = parseRangeCsv(text, source, onWarning ? { onWarning } : {});
  if (rows.length !== n + m) throw new SyntaxError(countMessage(source, rows.length, n, m));
  const scalers = rows.map((row, k) => {
    const name = row.name ?? (k < n ? `x${k + 1}` : `y${k - n + 1}`);
    try {
      return minMaxScaler(name, row);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const reason = error.message.replace(/^Cannot scale "[^"]*": /, "");
      throw new RangeError(`Cannot read ${source}: line ${row.line} ("${name}"): ${reason}`);
    }
  });
  return {
    inputs: scalers.slice(0, n),
    outputs: scalers.slice(n),
    named: rows.slice(0, n).map((r) => r.name !== undefined),
  };
}

function parseJsonScaling(text: string, source: string, n: number, m: number): Parsed {
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot parse ${source}: ${describeError(error)}`);
  }
  if (!isRecord(spec)) {
    throw new SyntaxError(`Cannot read ${source}: expected an object with "inputs" and "outputs"`);
  }
  const sides = (["inputs", "outputs"] as const).map((side) => {
    const list = spec[side];
    if (!Array.isArray(list)) {
      throw new SyntaxError(`Cannot read ${source}: "${side}" is missing or not a list`);
    }
    return list as unknown[];
  }) as [unknown[], unknown[]];
  const total = sides[0].length + sides[1].length;
  if (sides[0].length !== n || sides[1].length !== m) {
    throw new SyntaxError(
      `${countMessage(source, total, n, m)}; the file lists ${sides[0].length} inputs and ${
        sides[1].length
      } outputs`,
    );
  }
  const read = (entry: unknown, side: "inputs" | "outputs", k: number) => {
    const where = `${side}[${k}]`;
    if (!isRecord(entry)) throw new SyntaxError(`Cannot read ${source}: ${where} is not an object`);
    const name = entry["name"] ?? (side === "inputs" ? `x${k + 1}` : `y${k + 1}`);
    if (typeof name !== "string" || name === "") {
      throw new SyntaxError(`Cannot read ${source}: ${where} has a name that is not a string`);
    }
    if (hasControl(name) || name.length > 200) {
      throw new SyntaxError(
        `Cannot read ${source}: ${where} has the name ${
          quote(name, 40)
        }, which holds control characters or is longer than 200 characters`,
      );
    }
    const label = `${where} ("${name}")`;
    const number = (key: string): number => {
      const v = entry[key];
      if (typeof v !== "number") {
        throw new SyntaxError(
          `Cannot read ${source}: ${label} needs a number "${key}", got ${JSON.stringify(v)}`,
        );
      }
      return v;
    };
    const kind = entry["kind"] ?? "minmax";
    try {
      switch (kind) {
        case "minmax": {
          const range = entry["range"] ?? [0, 1];
          if (
            !Array.isArray(range) || range.length !== 2 ||
            !range.every((v) => typeof v === "number")
          ) {
            throw new SyntaxError(
              `Cannot read ${source}: ${label} has "range" ${
                JSON.stringify(range)
              }, expected [a, b]`,
            );
          }
          return minMaxScaler(name, {
            min: number("min"),
            max: number("max"),
            range: range as [number, number],
          });
        }
        case "zscore":
          return zScoreScaler(name, { mean: number("mean"), std: number("std") });
        case "identity":
          return identityScaler(name);
        default:
          throw new SyntaxError(
            `Cannot read ${source}: ${label} has kind ${
              JSON.stringify(kind)
            }; expected "minmax", "zscore" or "identity"`,
          );
      }
    } catch (error) {
      if (error instanceof RangeError) {
        const reason = error.message.replace(/^Cannot scale "[^"]*": /, "");
        throw new RangeError(`Cannot read ${source}: ${label}: ${reason}`);
      }
      throw error;
    }
  };
  return {
    inputs: sides[0].map((e, k) => read(e, "inputs", k)),
    outputs: sides[1].map((e, k) => read(e, "outputs", k)),
    named: sides[0].map((e) => isRecord(e) && e["name"] !== undefined),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
