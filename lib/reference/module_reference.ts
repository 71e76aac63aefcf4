/**
 * Analytic references from TypeScript or JavaScript functions.
 *
 * @module
 */
import { checkBatch, ResultBuilder } from "./_batch.ts";
import { richardsonJacobian, type RichardsonOptions } from "./finite_differences.ts";
import type { AnalyticReference, ReferenceResult } from "./types.ts";

/** What a reference module exports (named exports, or the same fields on its default export). */
export interface ReferenceModule {
  /** Input names, width `n`. */
  readonly inputs: readonly string[];
  /** Output names, width `m`. */
  readonly outputs: readonly string[];
  /** The function at one point: `x` of length `n` → values of length `m`, physical units. */
  f(x: Float64Array): ArrayLike<number>;
  /** Optional exact Jacobian at one point, row-major `[m, n]` (`∂f_i/∂x_j` at `i*n + j`). */
  jacobian?(x: Float64Array): ArrayLike<number>;
}

/** Options of {@linkcode referenceFromModule}. */
export interface ReferenceFromModuleOptions extends RichardsonOptions {
  /**
   * Name used in error messages.
   * @default {"the reference module"}
   */
  source?: string;
}

/**
 * Wraps a function (and optionally its Jacobian) as an {@linkcode AnalyticReference}.
 * Without `jacobian`, the Jacobian is computed by float64 central differences
 * with Richardson extrapolation ({@linkcode richardsonJacobian}) and `exact` is false.
 * Non-finite values or derivatives, and points where `f` throws, are listed in
 * `invalid` (value and Jacobian row NaN).
 *
 * @param module The exports (checked: names lists, `f`, optional `jacobian`).
 * @param options Error-message name and finite-difference settings.
 * @throws {TypeError} If an export is missing or has the wrong type; at evaluation,
 *   if `f` or `jacobian` returns the wrong number of values.
 *
 * @example Usage
 * ```ts
 * import { referenceFromModule } from "./module_reference.ts";
 * const ref = referenceFromModule({
 *   inputs: ["x"], outputs: ["f"], f: (x: Float64Array) => [Math.exp(x[0]!)],
 * });
 * const { jacobian } = ref.evaluate(new Float64Array([0.5]), 1);
 * if (ref.exact || Math.abs(jacobian[0]! - Math.exp(0.5)) > 1e-10) throw new Error("inaccurate");
 * ```
 */
export function referenceFromModule(
  module: unknown,
  options: ReferenceFromModuleOptions = {},
): AnalyticReference {
  const { source = "the reference module", ...fdOptions } = options;
  const spec = checkModule(module, source);
  const inputs = [...spec.inputs], outputs = [...spec.outputs];
  const n = inputs.length, m = outputs.length;
  const call = (
    what: string,
    fn: (x: Float64Array) => ArrayLike<number>,
    x: Float64Array,
    size: number,
  ) => {
    const result = fn(x);
    if (result === null || typeof result !== "object" || result.length !== size) {
      throw new TypeError(
        `Cannot evaluate ${source}: ${what} returned ${
          result === null || typeof result !== "object" ? String(result) : `${result.length} values`
        }, expected ${size}`,
      );
    }
    return result;
  };
  const f = (x: Float64Array) => call("f", spec.f, x, m);
  const exactJacobian = spec.jacobian;
  return {
    inputs,
    outputs,
    exact: exactJacobian !== undefined,
    evaluate(x: Float64Array, points: number): ReferenceResult {
      checkBatch(x, points, n, source);
      const out = new ResultBuilder(points, m, n);
      for (let k = 0; k < points; k++) {
        const point = x.slice(k * n, (k + 1) * n);
        let values: ArrayLike<number>, jacobian: ArrayLike<number>;
        try {
          values = f(point);
          jacobian = exactJacobian === undefined
            ? richardsonJacobian(f, point, fdOptions)
            : call("jacobian", exactJacobian, point, m * n);
        } catch (error) {
          if (error instanceof TypeError && error.message.startsWith(`Cannot evaluate ${source}`)) {
            throw error;
          }
          const reason = `evaluation failed: ${(error as Error).message}`;
          outputs.forEach((name, i) => out.markInvalid(k, i, name, reason));
          continue;
        }
        for (let i = 0; i < m; i++) {
          const v = Number(values[i]);
          if (!Number.isFinite(v)) {
            out.markInvalid(k, i, outputs[i]!, `${outputs[i]} is not finite (${v})`);
            continue;
          }
          out.values[k * m + i] = v;
          for (let j = 0; j < n; j++) {
            const d = Number(jacobian[i * n + j]);
            if (!Number.isFinite(d)) {
              out.markInvalid(
                k,
                i,
                outputs[i]!,
                `d${outputs[i]}/d${inputs[j]} is not finite (${d})${
                  exactJacobian === undefined ? " in finite differences" : ""
                }`,
              );
              break;
            }
            out.jacobian[(k * m + i) * n + j] = d;
          }
        }
      }
      return out.result();
    },
  };
}

function checkModule(module: unknown, source: string): ReferenceModule {
  const fail = (what: string) => new TypeError(`Cannot load ${source}: ${what}`);
  if (typeof module !== "object" || module === null) throw fail("it is not a module");
  let exports = module as Record<string, unknown>;
  if (!("f" in exports) && typeof exports["default"] === "object" && exports["default"] !== null) {
    exports = exports["default"] as Record<string, unknown>;
  }
  for (const key of ["inputs", "outputs"]) {
    const list = exports[key];
    if (
      !Array.isArray(list) || list.length === 0 ||
      !list.every((v) => typeof v === "string" && v !== "")
    ) {
      throw fail(`it must export "${key}", a non-empty list of names`);
    }
  }
  if (typeof exports["f"] !== "function") {
    throw fail(`it must export a function "f(x: Float64Array): Float64Array"`);
  }
  if (exports["jacobian"] !== undefined && typeof exports["jacobian"] !== "function") {
    throw fail(`its "jacobian" export is not a function`);
  }
  return exports as unknown as ReferenceModule;
}
