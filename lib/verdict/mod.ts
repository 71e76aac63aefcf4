/**
 * The verdict of a check: typed findings, the audits that produce them
 * (scaling constants through the model, training data, the user's own
 * Jacobian, LayerNorm invariance), the ordered rules that pick one cause, and
 * `--fail-on`.
 *
 * @module
 */
export * from "./finding.ts";
export * from "./constants.ts";
export * from "./normalized_model.ts";
export * from "./scaling_audit.ts";
export * from "./data_audit.ts";
export * from "./user_jacobian.ts";
export * from "./architecture.ts";
export * from "./verdict.ts";
export * from "./fail_on.ts";
