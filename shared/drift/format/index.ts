/**
 * The output formats of `gateway-guard check`, by name.
 */
import type { CheckResult } from "../types.js";
import type { FormatOptions } from "./common.js";
import { formatHtml } from "./html.js";
import { formatJson } from "./json.js";
import { formatJunit } from "./junit.js";
import { formatMarkdown } from "./markdown.js";
import { formatSarif } from "./sarif.js";
import { formatTable } from "./table.js";

export type { FormatOptions } from "./common.js";
export { formatHtml, formatJson, formatJunit, formatMarkdown, formatSarif, formatTable };
export { sarifRules } from "./sarif.js";

/** A formatter: a check result to text. */
export type Formatter = (result: CheckResult, options?: FormatOptions) => string;

/** Every format, by the name `--format` takes. */
export const formatters = {
  table: formatTable,
  json: formatJson,
  sarif: formatSarif,
  junit: formatJunit,
  markdown: formatMarkdown,
  html: formatHtml,
} as const satisfies Record<string, Formatter>;

export type FormatName = keyof typeof formatters;

/** The format names, in the order help text lists them. */
export const formatNames = Object.keys(formatters) as FormatName[];

/** True when `name` is a known format. */
export function isFormatName(name: string): name is FormatName {
  return Object.hasOwn(formatters, name);
}

/**
 * Formats a result in the named format.
 * @param name - one of {@link formatNames}
 */
export function formatResult(name: FormatName, result: CheckResult, options: FormatOptions = {}): string {
  return formatters[name](result, options);
}
