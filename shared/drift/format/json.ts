/**
 * The `json` format: `{ "reports": [...] }`, each report exactly baseline.md's "Finding shape".
 */
import type { CheckResult } from "../types.js";
import type { FormatOptions } from "./common.js";

/**
 * Formats a check result as pretty-printed JSON.
 * @returns the JSON text, ending with a newline
 */
export function formatJson(result: CheckResult, _options: FormatOptions = {}): string {
  return `${JSON.stringify({ reports: result.reports }, null, 2)}\n`;
}
