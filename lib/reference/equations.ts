/**
 * Analytic references from equations: mathjs parses each expression,
 * differentiates it symbolically with respect to every input, and the
 * compiled expressions are evaluated in float64.
 *
 * @module
 */
import { all, create, type EvalFunction, type MathNode } from "mathjs";
import { checkBatch, ResultBuilder } from "./_batch.ts";
import type { AnalyticReference, ReferenceResult } from "./types.ts";

const math = create(all!, {});

/** The equations file: input names and one expression per output, in mathjs syntax. */
export interface EquationsSpec {
  /** Input names, the only variables the expressions may use. */
  readonly inputs: readonly string[];
  /** Output name → expression, e.g. `{ "f1": "0.4*x1^2 + 0.2*x2^2" }`, in output order. */
  readonly outputs: Readonly<Record<string, string>>;
}

/**
 * Builds an exact reference from equations. Each output expression is parsed,
 * checked to use only the inputs, named constants (`pi`, `e`, …) and mathjs
 * functions, and differentiated symbolically with respect to every input.
 *
 * Evaluation is per point in float64. A value or derivative that is complex
 * (e.g. `x3^(7/2)` at `x3 < 0`), not finite, or fails to evaluate makes that
 * `(point, output)` pair invalid: it is listed in `invalid` with the reason and
 * its value and Jacobian row are NaN.
 *
 * @param spec Inputs and output expressions.
 * @param source Name used in error messages, e.g. the file path.
 * @returns A reference with `exact: true`.
 * @throws {SyntaxError} Missing or malformed fields, an unparseable expression
 *   (names the output), a variable that is not an input (names output and
 *   variable), an unknown function, an expression mathjs cannot differentiate.
 *
 * @example Usage
 * ```ts
 * import { referenceFromEquations } from "./equations.ts";
 * const ref = referenceFromEquations({ inputs: ["x", "y"], outputs: { f: "x^2 * y" } });
 * const { values, jacobian } = ref.evaluate(new Float64Array([3, 2]), 1);
 * if (values[0] !== 18 || jacobian[0] !== 12 || jacobian[1] !== 9) throw new Error("wrong");
 * ```
 */
export function referenceFromEquations(
  spec: EquationsSpec,
  source = "the equations",
): AnalyticReference {
  const { inputs, outputNames, expressions } = checkSpec(spec, source);
  const allowed = new Set(inputs);
  const compiled = outputNames.map((output, i) => {
    const text = expressions[i]!;
    let node: MathNode;
    try {
      node = math.parse(text);
    } catch (error) {
      throw new SyntaxError(
        `Cannot read ${source}: output "${output}": cannot parse "${text}": ${
          (error as Error).message
        }`,
      );
    }
    checkSymbols(node, { output, allowed, inputs, source });
    const derivatives = inputs.map((input) => {
      try {
        return math.derivative(node, input).compile();
      } catch (error) {
        throw new SyntaxError(
          `Cannot read ${source}: output "${output}": cannot differentiate "${text}" with respect to ${input}: ${
            (error as Error).message
          }`,
        );
      }
    });
    return { value: node.compile(), derivatives };
  });
  return {
    inputs,
    outputs: outputNames,
    exact: true,
    evaluate(x: Float64Array, points: number): ReferenceResult {
      const n = inputs.length, m = outputNames.length;
      checkBatch(x, points, n, source);
      const out = new ResultBuilder(points, m, n);
      const scope = new Map<string, number>();
      for (let k = 0; k < points; k++) {
        inputs.forEach((name, j) => scope.set(name, x[k * n + j]!));
        compiled.forEach(({ value, derivatives }, i) => {
          const output = outputNames[i]!;
          const v = evaluateReal(value, scope, output);
          if (typeof v === "string") return out.markInvalid(k, i, output, v);
          out.values[k * m + i] = v;
          for (let j = 0; j < n; j++) {
            const d = evaluateReal(derivatives[j]!, scope, `d${output}/d${inputs[j]}`);
            if (typeof d === "string") return out.markInvalid(k, i, output, d);
            out.jacobian[(k * m + i) * n + j] = d;
          }
        });
      }
      return out.result();
    },
  };
}

/** A real finite number, or the reason it is not. */
function evaluateReal(
  code: EvalFunction,
  scope: Map<string, number>,
  what: string,
): number | string {
  let v: unknown;
  try {
    v = code.evaluate(scope);
  } catch (error) {
    return `${what} cannot be evaluated: ${(error as Error).message}`;
  }
  if (typeof v === "number") return Number.isFinite(v) ? v : `${what} is not finite (${v})`;
  if (math.isComplex(v)) return `${what} is complex (${math.format(v, { precision: 6 })})`;
  return `${what} is not a real number (${math.typeOf(v)})`;
}

function checkSpec(spec: EquationsSpec, source: string) {
  const fail = (what: string) => new SyntaxError(`Cannot read ${source}: ${what}`);
  if (typeof spec !== "object" || spec === null) {
    throw fail(`expected an object with "inputs" and "outputs"`);
  }
  const { inputs, outputs } = spec as Partial<EquationsSpec>;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw fail(`"inputs" must be a non-empty list of input names`);
  }
  inputs.forEach((name, j) => {
    if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw fail(`input ${j + 1} (${JSON.stringify(name)}) is not a variable name`);
    }
    if (inputs.indexOf(name) !== j) throw fail(`input "${name}" is listed twice`);
  });
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
    throw fail(`"outputs" must be an object mapping output names to expressions`);
  }
  const outputNames = Object.keys(outputs);
  if (outputNames.length === 0) throw fail(`"outputs" is empty`);
  const expressions = outputNames.map((name) => {
    const text = outputs[name];
    if (typeof text !== "string" || text.trim() === "") {
      throw fail(`output "${name}" has no expression (expected a string)`);
    }
    return text;
  });
  return { inputs: [...inputs] as string[], outputNames, expressions };
}

function checkSymbols(
  node: MathNode,
  context: { output: string; allowed: Set<string>; inputs: string[]; source: string },
): void {
  const { output, allowed, inputs, source } = context;
  const namespace = math as unknown as Record<string, unknown>;
  node.traverse((child, path, parent) => {
    if (!("isSymbolNode" in child) || child.isSymbolNode !== true) return;
    const name = (child as unknown as { name: string }).name;
    if (path === "fn" && parent !== null && parent.type === "FunctionNode") {
      if (typeof namespace[name] !== "function") {
        throw new SyntaxError(
          `Cannot read ${source}: output "${output}" calls unknown function "${name}"`,
        );
      }
      return;
    }
    if (allowed.has(name) || typeof namespace[name] === "number") return;
    throw new SyntaxError(
      `Cannot read ${source}: output "${output}" uses "${name}", which is not an input (${
        inputs.join(", ")
      })`,
    );
  });
}
