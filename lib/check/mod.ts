/**
 * The three-way Jacobian check (model vs analytic vs finite differences), its
 * diagnosis, and the files it writes.
 *
 * @module
 */
export * from "./check.ts";
export * from "./write.ts";
export * from "./oracle.ts";
