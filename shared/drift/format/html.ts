/**
 * The `html` format: one self-contained page (inline CSS, no scripts) with a summary and a table per deployment.
 * Every piece of text is HTML-escaped; a Content-Security-Policy forbids scripts and remote content.
 */
import type { CheckResult, Finding, Report } from "../types.js";
import {
  escapeXml as h,
  findingLocation,
  type FormatOptions,
  htmlPageStart,
  plural,
  sortFindings,
  sortReports,
  summarySentence,
} from "./common.js";

const style = `
:root { color-scheme: light dark; --fail: #c62828; --warn: #b26a00; --info: #1565c0; --pass: #2e7d32; --muted: #777; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #8884; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { font-weight: 600; } td.num, th.num { text-align: right; }
code, pre { font-family: ui-monospace, "Cascadia Code", Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: #8881; padding: 0.5rem; overflow-x: auto; margin: 0.3rem 0; }
.muted { color: var(--muted); }
.status { font-weight: 600; white-space: nowrap; }
.fail.error { color: var(--fail); } .fail.warning { color: var(--warn); } .fail.info { color: var(--info); }
.pass { color: var(--pass); } .unknown { color: var(--muted); } .exempt { color: #7b1fa2; }
`;

/**
 * Formats a check result as a standalone HTML page.
 * @param options - `toolVersion` is shown in the footer
 * @returns the HTML text, ending with a newline
 */
export function formatHtml(result: CheckResult, options: FormatOptions = {}): string {
  const reports = sortReports(result.reports);
  const checkedAt = result.reports[0]?.checkedAt;
  const baseline = result.reports[0]?.baseline;
  const shownAt = checkedAt ? ` at ${times(checkedAt, new Date())}` : "";
  const parts = [
    ...htmlPageStart("gateway-guard report", style),
    `<h1>gateway-guard report</h1>`,
    `<p class="muted">Checked${shownAt}${baseline ? ` against the ${h(baseline)} baseline` : ""}.</p>`,
    `<p><strong>${h(summarySentence(result))}</strong></p>`,
    summaryTable(reports),
    ...reports.map((report, index) => reportSection(report, index)),
    `<footer class="muted"><p>gateway-guard${options.toolVersion ? ` ${h(options.toolVersion)}` : ""}</p></footer>`,
    `</body>`,
    `</html>`,
  ];
  return `${parts.join("\n")}\n`;
}

function summaryTable(reports: Report[]): string {
  const rows = reports.map(
    ({ target, summary: s }, index) =>
      `<tr><td><a href="#deployment-${index + 1}">${h(target)}</a></td><td class="num">${s.bySeverity.error}</td><td class="num">${s.bySeverity.warning}</td><td class="num">${s.bySeverity.info}</td><td class="num">${s.pass}</td><td class="num">${s.unknown}</td><td class="num">${s.exempt}</td></tr>`,
  );
  return [
    `<table class="summary">`,
    `<thead><tr><th>Deployment</th><th class="num">Errors</th><th class="num">Warnings</th><th class="num">Info</th><th class="num">Passed</th><th class="num">Unknown</th><th class="num">Exempt</th></tr></thead>`,
    `<tbody>`,
    ...rows,
    `</tbody>`,
    `</table>`,
  ].join("\n");
}

function reportSection(report: Report, index: number): string {
  const text = (value: string) => prose(value, new Date(report.checkedAt));
  const rows = sortFindings(report.findings).map((finding) => findingRow(finding, text));
  return [
    `<section id="deployment-${index + 1}">`,
    `<h2>${h(report.target)}</h2>`,
    `<p class="muted">${plural(report.summary.fail, "failing finding")}, ${report.summary.pass} passed, ${report.summary.unknown} unknown, ${report.summary.exempt} exempt.</p>`,
    `<table>`,
    `<thead><tr><th>Status</th><th>Severity</th><th>Rule</th><th>Where</th><th>Finding</th></tr></thead>`,
    `<tbody>`,
    ...rows,
    `</tbody>`,
    `</table>`,
    ...(report.notes ?? []).map((note) => `<p class="muted">Note: ${text(note)}</p>`),
    `</section>`,
  ].join("\n");
}

/** Readable labels for the statuses. */
const statusLabels: Record<Finding["status"], string> = {
  fail: "Fails",
  pass: "Passes",
  unknown: "Unknown",
  exempt: "Exempt",
};

function findingRow(finding: Finding, text: (value: string) => string): string {
  const where = findingLocation(finding);
  const details: string[] = [`<div>${text(finding.message)}</div>`];
  if (finding.status === "fail") {
    details.push(
      `<div class="muted">at <code>${h(finding.path)}</code>: expected ${text(finding.expected)}, found ${text(finding.actual)}</div>`,
      `<details><summary>Remediation</summary><pre><code>${h(finding.remediation)}</code></pre></details>`,
    );
  }
  if (finding.status === "exempt" && finding.exemptReason) {
    details.push(`<div class="muted">Exempt: ${text(finding.exemptReason)}</div>`);
  }
  return `<tr><td class="status ${finding.status} ${finding.severity}">${statusLabels[finding.status]}</td><td>${finding.severity}</td><td><code>${h(finding.rule)}</code></td><td>${where ? `<code>${h(where)}</code>` : ""}</td><td>${details.join("")}</td></tr>`;
}

const isoTime = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/**
 * Message text as HTML: escaped, `code` spans as `<code>` (no literal backticks), and each ISO time with
 * how long before or after the check it is.
 */
function prose(value: string, checkedAt: Date): string {
  return h(value)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/`/g, "")
    .replace(isoTime, (iso) => times(iso, checkedAt));
}

/** An ISO time with a relative one beside it: `<time>2026-12-01T10:00:00Z</time> (in 5 days)`. */
function times(iso: string, reference: Date): string {
  const relative = relativeTime(new Date(iso), reference);
  return `<time datetime="${h(iso)}">${h(iso)}</time>${relative ? ` (${relative})` : ""}`;
}

/** `in 5 days`, `3 hours ago`, `just now`; empty for an unreadable time. */
export function relativeTime(time: Date, reference: Date): string {
  const ms = time.getTime() - reference.getTime();
  if (!Number.isFinite(ms)) return "";
  const units: Array<[string, number]> = [
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
  ];
  for (const [unit, size] of units) {
    const count = Math.floor(Math.abs(ms) / size);
    if (count >= 1) {
      const amount = `${count} ${unit}${count === 1 ? "" : "s"}`;
      return ms > 0 ? `in ${amount}` : `${amount} ago`;
    }
  }
  return "just now";
}
