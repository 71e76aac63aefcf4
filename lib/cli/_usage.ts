/**
 * Usage errors (unknown option or command, missing or invalid option value) on
 * one line, as the commands print them.
 *
 * @module
 */
import { CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";

/** Options of the program itself, valid before or after the command; none takes a value. */
export const GLOBAL_FLAGS: readonly string[] = ["--debug", "-q", "--quiet"];

/**
 * Commander's message for a usage error, on one line: its "did you mean"
 * suggestion joined to it, or else a pointer to the command's help. A missing
 * required option is reported as the unknown option that was probably meant
 * for it (`--input` for `--inputs`), which commander checks only afterwards.
 */
export function usageErrorLine(
  program: CommandUnknownOpts,
  args: readonly string[],
  error: CommanderError,
): string {
  const command = program.commands.find((c) => c.name() === args.find((a) => !a.startsWith("-")));
  let message = error.message;
  if (error.code === "commander.missingMandatoryOptionValue" && command !== undefined) {
    message = unknownOptionMessage(command, args) ?? message;
  }
  const [first, ...rest] = message.split("\n");
  const suggestion = rest.join(" ").match(/\(Did you mean (.+)\?\)/);
  if (suggestion) return `${first} (did you mean ${suggestion[1]}?)`;
  return `${first} (see ${program.name()} ${command ? `${command.name()} ` : ""}--help)`;
}

/** Commander's message for the first option of `args` that `command` does not know, if any. */
function unknownOptionMessage(
  command: CommandUnknownOpts,
  args: readonly string[],
): string | undefined {
  const rest = args.slice(args.indexOf(command.name()) + 1).filter((a) =>
    !GLOBAL_FLAGS.includes(a)
  );
  try {
    const flag = command.parseOptions(rest).unknown[0];
    if (flag === undefined || !flag.startsWith("-")) return undefined;
    (command as unknown as { unknownOption(flag: string): never }).unknownOption(flag);
  } catch (error) {
    if (error instanceof CommanderError && error.code === "commander.unknownOption") {
      return error.message;
    }
  }
  return undefined;
}
