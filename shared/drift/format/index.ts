/**
 * The output formats of `gateway-guard check` and of the drift endpoint, by name: one registry of
 * lazy loaders, so that choosing a format loads only that formatter's module.
 */
import type { CheckResult } from "../types.js";
import type { FormatOptions } from "./common.js";

export type { FormatOptions } from "./common.js";

/** A formatter: a check result to text. */
export type Formatter = (result: CheckResult, options?: FormatOptions) => string;

/** One format: how to load it and how to serve it. */
export interface FormatInfo {
  /** Loads the formatter's module (only when the format is chosen). */
  load(): Promise<Formatter>;
  /** The media types it answers to in an `Accept` header; the first is its `Content-Type`. */
  mediaTypes: readonly string[];
  /** File extension for a report, without the dot. */
  extension: string;
}

/** Every format, by the name `--format` and `?format=` take, in the order help text lists them. */
export const formats = {
  table: {
    load: async () => (await import("./table.js")).formatTable,
    mediaTypes: ["text/plain"],
    extension: "txt",
  },
  json: {
    load: async () => (await import("./json.js")).formatJson,
    mediaTypes: ["application/json"],
    extension: "json",
  },
  sarif: {
    load: async () => (await import("./sarif.js")).formatSarif,
    mediaTypes: ["application/sarif+json"],
    extension: "sarif",
  },
  junit: {
    load: async () => (await import("./junit.js")).formatJunit,
    mediaTypes: ["application/xml", "text/xml"],
    extension: "xml",
  },
  markdown: {
    load: async () => (await import("./markdown.js")).formatMarkdown,
    mediaTypes: ["text/markdown"],
    extension: "md",
  },
  html: {
    load: async () => (await import("./html.js")).formatHtml,
    mediaTypes: ["text/html"],
    extension: "html",
  },
} as const satisfies Record<string, FormatInfo>;

export type FormatName = keyof typeof formats;

/** The format names, in the order help text lists them. */
export const formatNames = Object.keys(formats) as FormatName[];

/** True when `name` is a known format. */
export function isFormatName(name: string): name is FormatName {
  return Object.hasOwn(formats, name);
}

/**
 * The `Content-Type` of a format's report.
 * @param name - one of {@link formatNames}
 * @returns e.g. `application/sarif+json; charset=utf-8`.
 */
export function contentTypeOf(name: FormatName): string {
  return `${formats[name].mediaTypes[0]}; charset=utf-8`;
}

/**
 * Loads the named format's formatter (its module only).
 * @param name - one of {@link formatNames}
 */
export function loadFormatter(name: FormatName): Promise<Formatter> {
  return formats[name].load();
}

/**
 * Formats a result in the named format.
 * @param name - one of {@link formatNames}
 */
export async function formatResult(
  name: FormatName,
  result: CheckResult,
  options: FormatOptions = {},
): Promise<string> {
  return (await loadFormatter(name))(result, options);
}
