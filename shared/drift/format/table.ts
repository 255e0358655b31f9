/**
 * The `table` format: for a person at a terminal. One block per deployment (failing deployments first),
 * failing findings first, then a summary line.
 */
import type { CheckResult, Finding, Report } from "../types.js";
import {
  findingLocation,
  type FormatOptions,
  severityBreakdown,
  sortFindings,
  sortReports,
  summarySentence,
} from "./common.js";

type Paint = (code: string, text: string) => string;

const codes = {
  red: "31",
  yellow: "33",
  cyan: "36",
  green: "32",
  magenta: "35",
  dim: "2",
  bold: "1",
} as const;

/**
 * Formats a check result as aligned text tables grouped by deployment.
 * @param result - the reports to show
 * @param options - `color` turns on ANSI colours
 * @returns the text, ending with a newline
 */
export function formatTable(result: CheckResult, options: FormatOptions = {}): string {
  const paint: Paint = options.color
    ? (code, text) => `\u001b[${code}m${text}\u001b[0m`
    : (_code, text) => text;
  const blocks = sortReports(result.reports).map((report) => reportBlock(report, paint));
  const lines = [...blocks.flat(), paint(codes.bold, summarySentence(result))];
  if (result.reports.some((report) => report.summary.fail > 0)) {
    lines.push(paint(codes.dim, "Run `gateway-guard rules <id>` for the YAML that fixes a rule."));
  }
  return `${lines.join("\n")}\n`;
}

function reportBlock(report: Report, paint: Paint): string[] {
  const { summary } = report;
  const failing =
    summary.fail === 0 ? "0 failing" : `${summary.fail} failing (${severityBreakdown(summary.bySeverity)})`;
  const header = `${paint(codes.bold, clean(report.target))}  ${failing}, ${summary.pass} passed, ${summary.unknown} unknown, ${summary.exempt} exempt`;
  const findings = sortFindings(report.findings);
  const targetFile = /\((.+?)(?::\d+)?\)$/.exec(report.target)?.[1];
  const rows = findings.map((finding) => [
    statusLabel(finding),
    finding.severity,
    clean(finding.rule),
    clean(
      finding.file === targetFile && finding.line !== undefined
        ? `line ${finding.line}`
        : findingLocation(finding),
    ),
    clean(finding.message),
  ]);
  const headings = ["STATUS", "SEVERITY", "RULE", "WHERE", "MESSAGE"];
  const widths = headings.map((heading, column) =>
    Math.max(heading.length, ...rows.map((row) => row[column].length)),
  );
  const lines = [header, `  ${paint(codes.dim, pad(headings, widths))}`];
  findings.forEach((finding, index) => {
    const cells = rows[index];
    const padded = cells.map((cell, column) =>
      column === cells.length - 1 ? cell : cell.padEnd(widths[column]),
    );
    padded[0] = paint(statusColour(finding), padded[0]);
    lines.push(`  ${padded.join("  ")}`.trimEnd());
    if (finding.status === "fail") {
      lines.push(
        paint(
          codes.dim,
          `  ${" ".repeat(widths[0] + 2)}at ${clean(finding.path)}: expected ${clean(finding.expected)}, found ${clean(finding.actual)}`,
        ),
      );
    }
    if (finding.status === "exempt" && finding.exemptReason) {
      lines.push(paint(codes.dim, `  ${" ".repeat(widths[0] + 2)}exempt: ${clean(finding.exemptReason)}`));
    }
  });
  lines.push("");
  return lines;
}

function pad(cells: string[], widths: number[]): string {
  return cells
    .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
    .join("  ");
}

function statusLabel(finding: Finding): string {
  return finding.status.toUpperCase();
}

function statusColour(finding: Finding): string {
  switch (finding.status) {
    case "fail":
      return finding.severity === "error"
        ? `${codes.bold};${codes.red}`
        : finding.severity === "warning"
          ? codes.yellow
          : codes.cyan;
    case "pass":
      return codes.green;
    case "exempt":
      return codes.magenta;
    default:
      return codes.dim;
  }
}

/** Text from a manifest must not steer the terminal: control characters become spaces. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}
