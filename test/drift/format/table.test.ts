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
    expect(text).toMatch(/replicas +line 30 +Only 1 replica/);
    expect(text).toContain("at spec.replicas: expected >= 2, found 1");
    expect(text).toContain("exempt: drains fast <on purpose>");
  });

  it("names the file where a finding is in another file than its deployment", () => {
    const [healthy, selfhost] = sampleResult.reports;
    const moved = {
      ...selfhost,
      findings: selfhost.findings.map((f) => ({ ...f, file: "k8s/configmap.yaml" })),
    };
    expect(formatTable({ reports: [healthy, moved] })).toMatch(/replicas +k8s\/configmap\.yaml:30 +Only/);
  });

  it("ends with a summary line over every deployment", () => {
    const lines = formatTable(sampleResult).trimEnd().split("\n");
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
});
