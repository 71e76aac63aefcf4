/**
 * The HTML reports: `check`'s and each `verify` model's `report.html`, the
 * `verify` index, and the refit's report; the status block they share with
 * `metrics.json`.
 *
 * @module
 */
export { inputRows, renderCheckReport, sweepFigure } from "./check_report.ts";
export type { CheckReportOptions } from "./check_report.ts";
export { renderVerifyIndex, writeVerifyIndex } from "./index_page.ts";
export type { IndexEntry } from "./index_page.ts";
export { CAUSE_HEADLINES, checkStatus, statusToJson } from "./status.ts";
export type {
  CauseCode,
  CheckStatusOptions,
  Status,
  StatusLine,
  StatusMeasure,
  StatusQuestion,
  SuspectConstants,
} from "./status.ts";
export {
  evaluateOnPoints,
  renderRefitReport,
  writeRefitReport,
  writeRefitResultReport,
} from "./refit_report.ts";
export type { ModelOnPoints, RefitHistoryPoint, RefitReportInput } from "./refit_report.ts";
