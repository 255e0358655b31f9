import { describe, expect, it } from "vitest";
import { formatTable } from "../../../shared/drift/format/table.js";
import { passingResult, sampleResult } from "./sample.js";

describe("formatTable", () => {
  it("puts the failing deployment first and failing findings before the rest", () => {
    const text = formatTable(sampleResult);
    expect(text.indexOf("Deployment/gateways/selfhost")).toBeLessThan(
      text.indexOf("Deployment/gateways/healthy"),
    );
    const rows = text.split("\n").filter((line) => /^ {2}(FAIL|PASS|UNKNOWN|EXEMPT) /.test(line));
    expect(rows.slice(0, 3).map((row) => row.trim().split(/\s+/).slice(0, 3))).toEqual([
      ["FAIL", "error", "replicas"],
      ["FAIL", "warning", "namespace"],
      ["FAIL", "info", "log-level"],
    ]);
    expect(rows[3]).toMatch(/UNKNOWN\s+warning\s+disruption-budget/);
    expect(rows[4]).toMatch(/EXEMPT\s+warning\s+graceful-shutdown/);
  });

  it("shows where, path, expected and actual of a failing finding", () => {
    const text = formatTable(sampleResult);
    expect(text).toMatch(/replicas +line 30\n +Only 1 replica/);
    expect(text).toContain("at spec.replicas: expected >= 2, found 1");
    expect(text).toContain("exempt: drains fast <on purpose>");
  });

  it("names the file where a finding is in another file than its deployment", () => {
    const [healthy, selfhost] = sampleResult.reports;
    const moved = {
      ...selfhost,
      findings: selfhost.findings.map((f) => ({ ...f, file: "k8s/configmap.yaml" })),
    };
    expect(formatTable({ reports: [healthy, moved] })).toMatch(/replicas +k8s\/configmap\.yaml:30\n +Only/);
  });

  it("ends with a summary line over every deployment", () => {
    const lines = formatTable(sampleResult, { width: 120 }).trimEnd().split("\n");
    expect(lines).toContain(
      "2 deployments checked: 3 failing (1 error, 1 warning, 1 info), 2 passed, 1 unknown, 1 exempt.",
    );
    expect(formatTable(passingResult).trimEnd().split("\n").at(-1)).toBe(
      "1 deployment checked: 0 failing, 1 passed, 0 unknown, 0 exempt.",
    );
  });

  it("uses colour only when asked", () => {
    expect(formatTable(sampleResult)).not.toContain("\u001b[");
    const coloured = formatTable(sampleResult, { color: true });
    expect(coloured).toContain("\u001b[1;31mFAIL");
    expect(coloured).toContain("\u001b[32mPASS");
  });

  it("keeps control characters from the manifest away from the terminal", () => {
    const text = formatTable(sampleResult);
    expect(text).not.toMatch(/[\u0007\u001b]/); // eslint-disable-line no-control-regex
    expect(text).toContain("Namespace is <script>");
  });

  it.each([60, 72, 80, 132])("fits every line in %i columns, wrapping at words", (width) => {
    const long = {
      reports: sampleResult.reports.map((report) => ({
        ...report,
        target: `${report.target} (a/very/long/path/${"deep/".repeat(20)}gateway.yaml:12)`,
        findings: report.findings.map((f) => ({ ...f, file: `k8s/${"nested/".repeat(15)}gw.yaml` })),
      })),
    };
    const lines = formatTable(long, { width, verbose: true }).split("\n");
    expect(lines.filter((line) => line.length > width)).toEqual([]);
    expect(lines.join(" ")).toMatch(/…[^ ]*gw\.yaml:30/);
  });

  it("summarises passing rules on one line unless verbose", () => {
    const [healthy] = sampleResult.reports;
    const passingIds = healthy.findings.filter((f) => f.status === "pass").map((f) => f.rule);
    const brief = formatTable({ reports: [healthy] });
    expect(brief).toMatch(
      new RegExp(`^ {2}PASS +${passingIds.length} rules? \\(--verbose lists each\\): ${passingIds[0]}`, "m"),
    );
    expect(brief.split("\n").filter((line) => /^ {2}PASS /.test(line))).toHaveLength(1);
    const verbose = formatTable({ reports: [healthy] }, { verbose: true });
    expect(verbose.split("\n").filter((line) => /^ {2}PASS /.test(line))).toHaveLength(passingIds.length);
    expect(verbose).not.toContain("--verbose lists each");
  });

  it("shows a report's notes", () => {
    const [healthy] = sampleResult.reports;
    const noted = {
      ...healthy,
      notes: ["strict: the gateway-guard.io/exempt annotation (replicas) was ignored"],
    };
    expect(formatTable({ reports: [noted] })).toContain(
      "  note: strict: the gateway-guard.io/exempt annotation (replicas) was ignored\n",
    );
  });
});
