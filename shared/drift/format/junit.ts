/**
 * The `junit` format: JUnit XML for CI test tabs. One test suite per deployment, one test case per rule:
 * a `failure` when any of the rule's findings fails, `skipped` when none fails but one is unknown or exempt.
 */
import type { CheckResult, Finding, Report } from "../types.js";
import { escapeXml as x, findingLocation, type FormatOptions, groupByRule } from "./common.js";

interface TestCase {
  rule: string;
  outcome: "pass" | "fail" | "skipped";
  findings: Finding[];
}

/**
 * Formats a check result as JUnit XML.
 * @returns the XML text, ending with a newline
 */
export function formatJunit(result: CheckResult, _options: FormatOptions = {}): string {
  const suites = result.reports.map((report) => ({ report, cases: testCases(report) }));
  const count = (outcome: TestCase["outcome"]) =>
    suites.reduce((sum, suite) => sum + suite.cases.filter((c) => c.outcome === outcome).length, 0);
  const tests = suites.reduce((sum, suite) => sum + suite.cases.length, 0);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="gateway-guard" tests="${tests}" failures="${count("fail")}" errors="0" skipped="${count("skipped")}">`,
  ];
  for (const { report, cases } of suites) lines.push(...suiteXml(report, cases));
  lines.push(`</testsuites>`);
  return `${lines.join("\n")}\n`;
}

function testCases(report: Report): TestCase[] {
  return [...groupByRule(report.findings)].map(([rule, findings]) => ({
    rule,
    findings,
    outcome: findings.some((f) => f.status === "fail")
      ? "fail"
      : findings.some((f) => f.status === "unknown" || f.status === "exempt")
        ? "skipped"
        : "pass",
  }));
}

function suiteXml(report: Report, cases: TestCase[]): string[] {
  const failures = cases.filter((c) => c.outcome === "fail").length;
  const skipped = cases.filter((c) => c.outcome === "skipped").length;
  const lines = [
    `  <testsuite name="${x(report.target)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" timestamp="${x(report.checkedAt)}">`,
    `    <properties>`,
    `      <property name="baseline" value="${x(report.baseline)}"/>`,
    `    </properties>`,
  ];
  for (const testCase of cases) lines.push(...caseXml(report, testCase));
  lines.push(`  </testsuite>`);
  return lines;
}

function caseXml(report: Report, testCase: TestCase): string[] {
  const first = testCase.findings.find((f) => f.status === "fail") ?? testCase.findings[0];
  const fileAttributes = first.file
    ? ` file="${x(first.file)}"${first.line !== undefined ? ` line="${first.line}"` : ""}`
    : "";
  const open = `    <testcase classname="${x(objectOf(report, first))}" name="${x(testCase.rule)}"${fileAttributes}`;
  if (testCase.outcome === "pass") return [`${open}/>`];
  const lines = [`${open}>`];
  if (testCase.outcome === "fail") {
    const failing = testCase.findings.filter((f) => f.status === "fail");
    const severity = failing.some((f) => f.severity === "error")
      ? "error"
      : failing.some((f) => f.severity === "warning")
        ? "warning"
        : "info";
    lines.push(
      `      <failure type="${severity}" message="${x(failing.map((f) => f.message).join("; "))}">${x(failing.map(failureText).join("\n\n"))}</failure>`,
    );
  } else {
    const reason = testCase.findings
      .filter((f) => f.status !== "pass")
      .map((f) =>
        f.status === "exempt" ? `exempt: ${f.exemptReason ?? f.message}` : `unknown: ${f.message}`,
      )
      .join("; ");
    lines.push(`      <skipped message="${x(reason)}"/>`);
  }
  lines.push(`    </testcase>`);
  return lines;
}

function objectOf(report: Report, finding: Finding): string {
  return finding.object || report.target;
}

function failureText(finding: Finding): string {
  const where = findingLocation(finding);
  return [
    `${finding.severity}: ${finding.message}`,
    `at: ${finding.path}${where ? ` (${where})` : ""}`,
    `expected: ${finding.expected}`,
    `found: ${finding.actual}`,
    `remediation:`,
    finding.remediation,
  ].join("\n");
}
