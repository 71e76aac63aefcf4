/** An error in how a command was called (bad option value, conflicting options): exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
