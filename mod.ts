/**
 * partials: are the derivatives of a PyTorch-trained surrogate model right, in
 * the units you care about?
 *
 * @module
 */
export * from "./lib/io/mod.ts";
