/**
 * The `table` format: for a person at a terminal. One block per deployment (failing deployments first),
 * failing findings first, each with its message wrapped below it; passing rules summarised on one line
 * unless `verbose`; a summary line. Every line fits `width` columns.
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

/** Width used when the caller gives none (not a terminal). */
export const defaultTableWidth = 80;

/** Narrower terminals get lines this wide. */
const minimumWidth = 60;

/** Columns before a finding's message and details. */
const detailIndent = "      ";

/**
 * Formats a check result as text grouped by deployment.
 * @param result - the reports to show
 * @param options - `color` turns on ANSI colours, `width` the columns to fit (default 80), `verbose` lists
 *   each passing finding
 * @returns the text, ending with a newline
 */
export function formatTable(result: CheckResult, options: FormatOptions = {}): string {
  const paint: Paint = options.color
    ? (code, text) => `\u001b[${code}m${text}\u001b[0m`
    : (_code, text) => text;
  const width = Math.max(minimumWidth, options.width ?? defaultTableWidth);
  const blocks = sortReports(result.reports).map((report) =>
    reportBlock(report, { paint, width, verbose: options.verbose === true }),
  );
  const lines = [...blocks.flat(), ...wrap(summarySentence(result), width).map((l) => paint(codes.bold, l))];
  if (result.reports.some((report) => report.summary.fail > 0)) {
    lines.push(
      ...wrap("Run `gateway-guard rules <id>` for the YAML that fixes a rule.", width).map(dim(paint)),
    );
  }
  return `${lines.join("\n")}\n`;
}

interface Layout {
  paint: Paint;
  width: number;
  verbose: boolean;
}

function reportBlock(report: Report, layout: Layout): string[] {
  const { paint, width } = layout;
  const { summary } = report;
  const failing =
    summary.fail === 0 ? "0 failing" : `${summary.fail} failing (${severityBreakdown(summary.bySeverity)})`;
  const lines = wrap(clean(report.target), width).map((line) => paint(codes.bold, line));
  lines.push(
    ...wrap(
      `${failing}, ${summary.pass} passed, ${summary.unknown} unknown, ${summary.exempt} exempt`,
      width,
      "  ",
    ),
  );
  const findings = sortFindings(report.findings);
  const shown = layout.verbose ? findings : findings.filter((finding) => finding.status !== "pass");
  const ruleWidth = Math.min(24, Math.max(0, ...shown.map((finding) => finding.rule.length)));
  const targetFile = /\((.+?)(?::\d+)?\)$/.exec(report.target)?.[1];
  for (const finding of shown) {
    const where =
      finding.file === targetFile && finding.line !== undefined
        ? `line ${finding.line}`
        : findingLocation(finding);
    const status = finding.status.toUpperCase().padEnd(7);
    const head = `${finding.severity.padEnd(7)}  ${clean(finding.rule).padEnd(ruleWidth)}  `;
    const room = width - 10 - head.length;
    const location = shorten(clean(where), room >= 16 ? room : width - detailIndent.length);
    lines.push(`  ${paint(statusColour(finding), status)} ${head}${room >= 16 ? location : ""}`.trimEnd());
    if (room < 16) lines.push(`${detailIndent}${location}`);
    lines.push(...wrap(clean(finding.message), width, detailIndent));
    if (finding.status === "fail") {
      const detail = `at ${clean(finding.path)}: expected ${clean(finding.expected)}, found ${clean(finding.actual)}`;
      lines.push(...wrap(detail, width, detailIndent).map(dim(paint)));
    }
    if (finding.status === "exempt" && finding.exemptReason) {
      lines.push(...wrap(`exempt: ${clean(finding.exemptReason)}`, width, detailIndent).map(dim(paint)));
    }
  }
  const passing = [...new Set(findings.filter((f) => f.status === "pass").map((f) => f.rule))];
  if (!layout.verbose && passing.length > 0) {
    const text = `${passing.length} rule${passing.length === 1 ? "" : "s"} (--verbose lists each): ${passing.join(", ")}`;
    const [first, ...rest] = wrap(text, width - 10);
    lines.push(
      `  ${paint(codes.green, "PASS".padEnd(7))} ${first}`,
      ...rest.map((line) => `          ${line}`),
    );
  }
  for (const note of report.notes ?? []) lines.push(...wrap(`note: ${clean(note)}`, width, "  "));
  lines.push("");
  return lines;
}

/**
 * Text broken at spaces into lines of at most `width` columns (indent included); a word longer than a line
 * is cut.
 */
export function wrap(text: string, width: number, indent = ""): string[] {
  const room = Math.max(10, width - indent.length);
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    for (let piece = word; piece !== "";) {
      const candidate = line === "" ? piece : `${line} ${piece}`;
      if (candidate.length <= room) {
        line = candidate;
        piece = "";
      } else if (line !== "") {
        lines.push(line);
        line = "";
      } else {
        lines.push(piece.slice(0, room));
        piece = piece.slice(room);
      }
    }
  }
  if (line !== "" || lines.length === 0) lines.push(line);
  return lines.map((l) => `${indent}${l}`.trimEnd());
}

/** A location shortened to `max` columns, keeping its end (file name and line): `…/examples/gw.yaml:12`. */
function shorten(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}

function dim(paint: Paint): (line: string) => string {
  return (line) => paint(codes.dim, line);
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
