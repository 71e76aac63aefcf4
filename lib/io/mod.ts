/**
 * CSV input and output: the numeric table type and atomic writes.
 *
 * @module
 */
export * from "./table.ts";
export * from "./atomic.ts";
