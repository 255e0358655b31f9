/**
 * The `markdown` format: a pull-request comment. A summary table, then every failing finding with the YAML
 * that fixes it; unknown and exempt findings in a collapsed list. Text from manifests is escaped.
 */
import type { CheckResult, Finding, Report } from "../types.js";
import {
  fence,
  findingLocation,
  type FormatOptions,
  plural,
  sortFindings,
  sortReports,
  totals,
} from "./common.js";

const severityMark = { error: "❌", warning: "⚠️", info: "ℹ️" } as const;

/**
 * Formats a check result as GitHub-flavoured Markdown.
 * @returns the Markdown text, ending with a newline
 */
export function formatMarkdown(result: CheckResult, _options: FormatOptions = {}): string {
  const t = totals(result);
  const reports = sortReports(result.reports);
  const headline =
    t.fail === 0
      ? `### ✅ gateway-guard: no failing checks in ${plural(t.deployments, "deployment")}`
      : `### ${t.bySeverity.error > 0 ? "❌" : "⚠️"} gateway-guard: ${plural(t.fail, "failing check")} in ${plural(t.deployments, "deployment")}`;
  const lines = [
    headline,
    "",
    "| Deployment | Errors | Warnings | Info | Passed | Unknown | Exempt |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...reports.map(
      ({ target, summary: s }) =>
        `| ${text(target)} | ${s.bySeverity.error} | ${s.bySeverity.warning} | ${s.bySeverity.info} | ${s.pass} | ${s.unknown} | ${s.exempt} |`,
    ),
    "",
  ];
  for (const report of reports) lines.push(...reportSection(report));
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}

function reportSection(report: Report): string[] {
  const findings = sortFindings(report.findings);
  const failing = findings.filter((f) => f.status === "fail");
  const others = findings.filter((f) => f.status === "unknown" || f.status === "exempt");
  if (failing.length === 0 && others.length === 0) return [];
  const lines = [`#### ${text(report.target)}`, ""];
  for (const finding of failing) lines.push(...failingFinding(finding));
  if (others.length > 0) {
    lines.push(`<details><summary>${others.length} unknown or exempt</summary>`, "");
    for (const finding of others) {
      const why = finding.status === "exempt" ? (finding.exemptReason ?? finding.message) : finding.message;
      lines.push(`- ${code(finding.rule)} ${finding.status}: ${text(why)}`);
    }
    lines.push("", "</details>", "");
  }
  return lines;
}

function failingFinding(finding: Finding): string[] {
  const where = findingLocation(finding);
  return [
    `${severityMark[finding.severity]} **${code(finding.rule)}** (${finding.severity}): ${text(finding.message)}`,
    "",
    `- at ${code(finding.path)}${where ? ` in ${code(where)}` : ""}`,
    `- expected: ${text(finding.expected)}`,
    `- found: ${text(finding.actual)}`,
    "",
    fence(finding.remediation, "yaml"),
    "",
  ];
}

/**
 * Inline text (also safe in a table cell) with Markdown and HTML syntax neutralised; newlines become spaces.
 * Characters that matter only at the start of a line are left alone: this text never starts one.
 */
function text(value: string): string {
  return flatten(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|~])/g, "\\$1");
}

/** An inline code span that its content cannot close. */
function code(value: string): string {
  const flat = flatten(value);
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = "`".repeat(longest + 1);
  const padded = flat.startsWith("`") || flat.endsWith("`") ? ` ${flat} ` : flat;
  return `${ticks}${padded}${ticks}`;
}

/** One line without control characters. */
function flatten(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, " ");
}
