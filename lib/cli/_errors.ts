/** An error in how a command was called (bad option value, conflicting options): exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * The command was stopped by SIGINT or SIGTERM after saving what it had: exit
 * code 130. The message says what was saved.
 */
export class InterruptedError extends Error {
  override name = "InterruptedError";
}
