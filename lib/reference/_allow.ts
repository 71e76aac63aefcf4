/**
 * The subset of mathjs an equation may use, checked on the parsed expression
 * before anything is differentiated, compiled or evaluated: numbers, the
 * declared inputs, named constants (`pi`, `e`, …), the arithmetic operators
 * and the elementary functions mathjs can differentiate. Everything else —
 * `evaluate`, `parse`, `import`, `createUnit`, matrix constructors (`ones`,
 * `range`, `[1, 2]`), strings, objects, property access, indexing,
 * assignments, function definitions, blocks, conditionals — is refused, as is
 * text longer or more deeply nested than the limits.
 *
 * @module
 */
import type { MathNode } from "mathjs";
import { limits, raiseHint } from "../io/limits.ts";
import { escapeControl, quote } from "../io/quote.ts";

/** Functions an equation may call: the elementary functions mathjs differentiates. */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  "sqrt",
  "cbrt",
  "nthRoot",
  "exp",
  "log",
  "log10",
  "pow",
  "abs",
  "sin",
  "cos",
  "tan",
  "sec",
  "csc",
  "cot",
  "asin",
  "acos",
  "atan",
  "asec",
  "acsc",
  "acot",
  "sinh",
  "cosh",
  "tanh",
  "sech",
  "csch",
  "coth",
  "asinh",
  "acosh",
  "atanh",
  "asech",
  "acsch",
  "acoth",
]);

/** Named constants an equation may use as values. */
export const ALLOWED_CONSTANTS: ReadonlySet<string> = new Set([
  "pi",
  "PI",
  "e",
  "E",
  "tau",
  "phi",
  "LN2",
  "LN10",
  "LOG2E",
  "LOG10E",
  "SQRT1_2",
  "SQRT2",
]);

/** Operators (mathjs `fn` names) an equation may use. */
const ALLOWED_OPERATORS: ReadonlySet<string> = new Set([
  "add",
  "subtract",
  "multiply",
  "divide",
  "pow",
  "unaryMinus",
  "unaryPlus",
]);

/**
 * Refuses an expression text that is too long or nested too deeply to parse safely.
 *
 * @param text The expression.
 * @param where `Cannot read <file>: output "<name>"`, for messages.
 * @throws {RangeError} Beyond `maxExpressionLength` characters or `maxExpressionDepth` brackets.
 */
export function checkExpressionText(text: string, where: string): void {
  const { maxExpressionLength, maxExpressionDepth } = limits();
  if (text.length > maxExpressionLength) {
    throw new RangeError(
      `${where}: the expression has ${text.length} characters, more than the limit of ${maxExpressionLength} (${
        raiseHint("maxExpressionLength")
      })`,
    );
  }
  let depth = 0;
  for (const c of text) {
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    if (depth > maxExpressionDepth) {
      throw new RangeError(
        `${where}: the expression nests brackets more than ${maxExpressionDepth} deep, the limit (${
          raiseHint("maxExpressionDepth")
        })`,
      );
    }
  }
}

/**
 * Checks a parsed expression against the allow-list, without recursion.
 *
 * @param root The parsed expression.
 * @param inputs The declared inputs, the only variables allowed.
 * @param where `Cannot read <file>: output "<name>"`, for messages.
 * @returns The number of nodes.
 * @throws {SyntaxError} Naming the first construct that is not allowed.
 * @throws {RangeError} A number beyond the float64 range, or more than `maxExpressionNodes` nodes.
 */
export function checkAllowed(root: MathNode, inputs: ReadonlySet<string>, where: string): number {
  const maxNodes = limits().maxExpressionNodes;
  const refuse = (what: string): never => {
    throw new SyntaxError(`${where} ${what}`);
  };
  const stack: MathNode[] = [root];
  let nodes = 0;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (++nodes > maxNodes) {
      throw new RangeError(
        `${where}: the expression has more than ${maxNodes} terms and operations, the limit (${
          raiseHint("maxExpressionNodes")
        })`,
      );
    }
    const n = node as unknown as Record<string, unknown>;
    switch (node.type) {
      case "ConstantNode": {
        const value = n["value"];
        if (typeof value !== "number") {
          refuse(`uses ${quote(String(value), 40)}, which is not a number`);
        }
        if (!Number.isFinite(value)) {
          throw new RangeError(`${where}: a number overflows float64 (beyond ±1.8e308)`);
        }
        break;
      }
      case "SymbolNode": {
        const name = String(n["name"]);
        if (!inputs.has(name) && !ALLOWED_CONSTANTS.has(name)) {
          refuse(
            `uses ${quote(name, 40)}, which is not an input (${[...inputs].join(", ")})${
              ALLOWED_FUNCTIONS.has(name) ? " (a function must be called)" : ""
            }`,
          );
        }
        break;
      }
      case "ParenthesisNode":
        break;
      case "OperatorNode": {
        const fn = String(n["fn"]);
        if (!ALLOWED_OPERATORS.has(fn)) {
          refuse(
            `uses the operator ${
              quote(String(n["op"]), 10)
            }; only + - * / ^ are allowed in an equation`,
          );
        }
        break;
      }
      case "FunctionNode": {
        const fn = n["fn"] as MathNode;
        const name = fn.type === "SymbolNode"
          ? String((fn as unknown as { name: string }).name)
          : "";
        if (!ALLOWED_FUNCTIONS.has(name)) {
          refuse(
            `calls ${
              name === "" ? "an expression" : quote(name, 40)
            }, which is not an elementary function an equation may use (${
              [...ALLOWED_FUNCTIONS].slice(0, 12).join(", ")
            }, …)`,
          );
        }
        for (const arg of (n["args"] as MathNode[]) ?? []) stack.push(arg);
        continue; // The function's own symbol is not a variable.
      }
      default:
        refuse(`uses ${describe(node.type)}, which is not allowed in an equation`);
    }
    node.forEach((child: MathNode) => stack.push(child));
  }
  return nodes;
}

function describe(type: string): string {
  const names: Record<string, string> = {
    AssignmentNode: "an assignment",
    FunctionAssignmentNode: "a function definition",
    BlockNode: "a block of several expressions",
    AccessorNode: "property access or indexing",
    IndexNode: "indexing",
    ArrayNode: "a matrix",
    ObjectNode: "an object",
    RangeNode: "a range",
    ConditionalNode: "a conditional",
    RelationalNode: "a comparison",
  };
  return names[type] ?? `a ${escapeControl(type.slice(0, 40))}`;
}
