/**
 * Analytic references from equations: mathjs parses each expression,
 * differentiates it symbolically with respect to every input, and the
 * compiled expressions are evaluated in float64.
 *
 * @module
 */
import { all, create, type EvalFunction, type MathNode } from "mathjs";
import { checkBatch, ResultBuilder } from "./_batch.ts";
import { checkAllowed, checkExpressionText } from "./_allow.ts";
import { describeError, quote } from "../io/quote.ts";
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
 * Builds an exact reference from equations. Each output expression is parsed
 * and checked, before anything is evaluated, to use only numbers, the inputs,
 * named constants (`pi`, `e`, …), `+ - * / ^` and the elementary functions
 * mathjs differentiates (`sqrt`, `exp`, `log`, `sin`, `cosh`, `atan`, …; see
 * `ALLOWED_FUNCTIONS` in `_allow.ts`), within the length and nesting limits;
 * then it is differentiated symbolically with respect to every input.
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
 *   variable), a function or construct outside the allow-list, an expression
 *   mathjs cannot differentiate.
 * @throws {RangeError} An expression beyond the length or nesting limits, a number
 *   beyond the float64 range.
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
    const where = `Cannot read ${source}: output ${quote(output, 40)}`;
    checkExpressionText(text, where);
    let node: MathNode;
    try {
      node = math.parse(text);
    } catch (error) {
      throw new SyntaxError(
        `${where}: cannot parse ${quote(text)}: ${describeError(error)}`,
      );
    }
    // Checked before anything is differentiated, compiled or evaluated.
    checkAllowed(node, allowed, where);
    // Unsimplified: mathjs's simplification takes minutes on a product of twenty factors,
    // and an unsimplified derivative evaluates to the same float64 values.
    const derivatives = inputs.map((input) => {
      try {
        return math.derivative(node, input, { simplify: false }).compile();
      } catch (error) {
        throw new SyntaxError(
          `${where}: cannot differentiate ${quote(text)} with respect to ${input}: ${
            describeError(error)
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
    return `${what} cannot be evaluated: ${describeError(error)}`;
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
      throw fail(
        `input ${j + 1} (${quote(String(JSON.stringify(name)), 40)}) is not a variable name`,
      );
    }
    if (inputs.indexOf(name) !== j) throw fail(`input ${quote(name, 40)} is listed twice`);
  });
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
    throw fail(`"outputs" must be an object mapping output names to expressions`);
  }
  const outputNames = Object.keys(outputs);
  if (outputNames.length === 0) throw fail(`"outputs" is empty`);
  const expressions = outputNames.map((name) => {
    const text = outputs[name];
    if (typeof text !== "string" || text.trim() === "") {
      throw fail(`output ${quote(name, 40)} has no expression (expected a string)`);
    }
    return text;
  });
  return { inputs: [...inputs] as string[], outputNames, expressions };
}
