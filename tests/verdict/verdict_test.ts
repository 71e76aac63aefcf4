import { finding } from "../../lib/verdict/finding.ts";
import { parseFailOn, verdictExitCode } from "../../lib/verdict/fail_on.ts";
import { CAUSES, decideCause, type Findings } from "../../lib/verdict/verdict.ts";
import { assertEquals, assertThrows } from "../_assert.ts";

/** Findings where nothing holds: the verdict of a perfect model. */
function clean(): Findings {
  const no = <K extends string>(kind: K) => finding(kind, false, 0, 1);
  return {
    differentiation: no("differentiation"),
    chainRule: no("chain-rule"),
    outputScaling: no("output-scaling"),
    inputScaling: no("input-scaling"),
    structure: no("structure"),
    valueFit: no("value-fit"),
    derivativeFit: no("derivative-fit"),
  };
}
const yes = <K extends string>(kind: K) => finding(kind, true, 1, 0);

Deno.test("decideCause() builds each cause on purpose and names it first", async (t) => {
  const cases: [string, Partial<Findings>, string[]][] = [
    ["nothing holds", {}, []],
    ["engines disagree", { differentiation: yes("differentiation") }, ["differentiation"]],
    ["the chain rule disagrees", { chainRule: yes("chain-rule") }, ["differentiation"]],
    ["an output row", { outputScaling: yes("output-scaling") }, ["scaling-file"]],
    ["an input row", { inputScaling: yes("input-scaling") }, ["scaling-file"]],
    ["the data", { dataRange: yes("data-range") }, ["scaling-file"]],
    ["the user's Jacobian", { userJacobian: yes("user-jacobian") }, ["user-jacobian"]],
    [
      "a poor fit with a structural cause",
      { valueFit: yes("value-fit"), structure: yes("structure") },
      ["architecture"],
    ],
    ["a poor fit alone", { valueFit: yes("value-fit") }, ["underfit"]],
    ["a structure that does not matter", { structure: yes("structure") }, []],
    ["derivatives off, values fit", { derivativeFit: yes("derivative-fit") }, ["derivative-fit"]],
    [
      "derivatives off because the values are",
      { valueFit: yes("value-fit"), derivativeFit: yes("derivative-fit") },
      ["underfit"],
    ],
    [
      "everything at once, in order",
      {
        differentiation: yes("differentiation"),
        inputScaling: yes("input-scaling"),
        userJacobian: yes("user-jacobian"),
        derivativeFit: yes("derivative-fit"),
      },
      ["differentiation", "scaling-file", "user-jacobian", "derivative-fit"],
    ],
  ];
  for (const [name, overrides, causes] of cases) {
    await t.step(name, () => {
      const d = decideCause({ ...clean(), ...overrides });
      assertEquals(d.causes, causes);
      assertEquals(d.cause, causes[0] ?? "ok");
    });
  }
});

Deno.test("parseFailOn() takes a comma list or any, and refuses unknown causes", () => {
  assertEquals([...parseFailOn("any")], [...CAUSES]);
  assertEquals([...parseFailOn(" underfit ,architecture")], ["underfit", "architecture"]);
  assertThrows(() => parseFailOn("ok"), RangeError, '"ok" is not a cause');
  assertThrows(() => parseFailOn(","), RangeError, "names no cause");
});

Deno.test("verdictExitCode() is 1 for differentiation, 3 for a --fail-on cause, else 0", () => {
  const failOn = parseFailOn("scaling-file");
  assertEquals(verdictExitCode(["differentiation", "scaling-file"], failOn), 1);
  assertEquals(verdictExitCode(["scaling-file", "derivative-fit"], failOn), 3);
  assertEquals(verdictExitCode(["derivative-fit"], failOn), 0);
  assertEquals(verdictExitCode([], parseFailOn("any")), 0);
});
