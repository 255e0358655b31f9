/**
 * Helpers shared by the output formats: ordering, counting and escaping findings.
 */
import type { CheckResult, Finding, FindingStatus, Report, Rule, Severity } from "../types.js";

/** Options every formatter accepts; each reads only what it needs. */
export interface FormatOptions {
  /** ANSI colours (table only). The CLI sets it when stdout is a TTY and `NO_COLOR` is unset. */
  color?: boolean;
  /** The rule registry, for rule metadata (SARIF) and titles; without it, metadata comes from the findings. */
  rules?: readonly Rule[];
  /** The tool's version (SARIF, HTML). */
  toolVersion?: string;
  /** Where to read about the tool (SARIF `informationUri`). */
  informationUri?: string;
  /** Directory that file paths are made relative to in SARIF (the CLI passes the working directory). */
  baseDirectory?: string;
  /** Columns every line must fit (table only; default 80). The CLI passes the terminal's width. */
  width?: number;
  /** List every passing finding instead of one summary line (table only). */
  verbose?: boolean;
}

/** A finding whose text fields are strings (`String()` of whatever was there, `""` for nothing). */
function withTextFields(finding: Finding): Finding {
  const text = (value: unknown) => (typeof value === "string" ? value : value == null ? "" : String(value));
  return {
    ...finding,
    path: text(finding.path),
    expected: text(finding.expected),
    actual: text(finding.actual),
    message: text(finding.message),
  };
}

/** Rank of a severity: a larger number is more severe. */
export const severityRank: Readonly<Record<Severity, number>> = { error: 3, warning: 2, info: 1 };

const statusOrder: Readonly<Record<FindingStatus, number>> = { fail: 0, unknown: 1, exempt: 2, pass: 3 };

/**
 * Findings in reading order: failing first (most severe first), then unknown, exempt, pass. Stable otherwise.
 * Their text fields come out as strings even if a rule (or a hand-made result) put a number there.
 */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map((finding, index) => ({ finding: withTextFields(finding), index }))
    .sort(
      (a, b) =>
        statusOrder[a.finding.status] - statusOrder[b.finding.status] ||
        severityRank[b.finding.severity] - severityRank[a.finding.severity] ||
        a.index - b.index,
    )
    .map(({ finding }) => finding);
}

/** Reports in reading order: those with failures first (most error findings first), otherwise as given. */
export function sortReports(reports: readonly Report[]): Report[] {
  return reports
    .map((report, index) => ({ report, index }))
    .sort(
      (a, b) =>
        Number(b.report.summary.fail > 0) - Number(a.report.summary.fail > 0) ||
        b.report.summary.bySeverity.error - a.report.summary.bySeverity.error ||
        a.index - b.index,
    )
    .map(({ report }) => report);
}

/** Counts over all reports of a result. */
export interface Totals {
  deployments: number;
  pass: number;
  fail: number;
  unknown: number;
  exempt: number;
  bySeverity: Record<Severity, number>;
}

/** Adds up the summaries of every report. */
export function totals(result: CheckResult): Totals {
  const sum: Totals = {
    deployments: result.reports.length,
    pass: 0,
    fail: 0,
    unknown: 0,
    exempt: 0,
    bySeverity: { error: 0, warning: 0, info: 0 },
  };
  for (const { summary } of result.reports) {
    sum.pass += summary.pass;
    sum.fail += summary.fail;
    sum.unknown += summary.unknown;
    sum.exempt += summary.exempt;
    for (const severity of ["error", "warning", "info"] as const)
      sum.bySeverity[severity] += summary.bySeverity[severity];
  }
  return sum;
}

/** One sentence that sums up a result, e.g. `1 deployment checked: 5 failing (2 error, 3 warning), 12 passed, 4 unknown, 0 exempt.` */
export function summarySentence(result: CheckResult): string {
  const t = totals(result);
  const failing = t.fail === 0 ? "0 failing" : `${t.fail} failing (${severityBreakdown(t.bySeverity)})`;
  return `${plural(t.deployments, "deployment")} checked: ${failing}, ${t.pass} passed, ${t.unknown} unknown, ${t.exempt} exempt.`;
}

/** `2 error, 3 warning`: the non-zero failing counts by severity. */
export function severityBreakdown(bySeverity: Record<Severity, number>): string {
  return (["error", "warning", "info"] as const)
    .filter((severity) => bySeverity[severity] > 0)
    .map((severity) => `${bySeverity[severity]} ${severity}`)
    .join(", ");
}

/** `1 deployment`, `2 deployments`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** `file:line`, `file`, or an empty string when the finding has no file. */
export function findingLocation(finding: Finding): string {
  if (!finding.file) return "";
  return finding.line !== undefined ? `${finding.file}:${finding.line}` : finding.file;
}

/** The findings of a report grouped by rule, in first-seen order. */
export function groupByRule(findings: readonly Finding[]): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const group = groups.get(finding.rule);
    if (group) group.push(finding);
    else groups.set(finding.rule, [finding]);
  }
  return groups;
}

// eslint-disable-next-line no-control-regex
const xmlInvalid = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Escapes text for XML or HTML element content and attribute values; drops characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return text
    .replace(xmlInvalid, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * The start of a self-contained HTML page, up to `<body>`: inline CSS, and a Content-Security-Policy
 * that forbids scripts and anything fetched from elsewhere.
 * @param title - the page's title (escaped here).
 * @param style - the stylesheet.
 */
export function htmlPageStart(title: string, style: string): string[] {
  return [
    `<!doctype html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeXml(title)}</title>`,
    `<style>${style}</style>`,
    `</head>`,
    `<body>`,
  ];
}

/** A fenced code block whose fence is longer than any backtick run in the text, so the text cannot close it. */
export function fence(text: string, language = ""): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}${language}\n${text.replace(/\n+$/, "")}\n${ticks}`;
}
