/**
 * CSV input and output: the numeric table type, atomic writes, and CSV read and written in chunks.
 *
 * @module
 */
export * from "./table.ts";
export * from "./atomic.ts";
export * from "./csv_stream.ts";
