import { describe, expect, it } from "vitest";
import { formatSarif, sarifLevel, sarifRules } from "../../../shared/drift/format/sarif.js";
import type { CheckResult } from "../../../shared/drift/types.js";
import { sampleResult, sampleRules } from "./sample.js";
import { sarifProblems } from "./wellFormed.js";

function sarifOf(result: CheckResult, options = {}) {
  return JSON.parse(formatSarif(result, { rules: sampleRules, toolVersion: "1.2.3", ...options }));
}

describe("formatSarif", () => {
  it("is a structurally valid SARIF 2.1.0 log", () => {
    const log = sarifOf(sampleResult);
    expect(sarifProblems(log)).toEqual([]);
    expect(log.runs[0].tool.driver.version).toBe("1.2.3");
  });

  it("reports failing findings as results and exempt ones as suppressed results, nothing else", () => {
    const results = sarifOf(sampleResult).runs[0].results;
    expect(results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level])).toEqual([
      ["graceful-shutdown", "warning"],
      ["replicas", "error"],
      ["namespace", "warning"],
      ["log-level", "note"],
    ]);
    expect(results[0].suppressions).toEqual([
      { kind: "external", justification: "drains fast <on purpose>" },
    ]);
    expect(results[1].suppressions).toBeUndefined();
  });

  it("locates results by relative file and line", () => {
    const [, replicas] = sarifOf(sampleResult).runs[0].results;
    expect(replicas.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "k8s/gateway.yaml" },
      region: { startLine: 30 },
    });
    expect(replicas.locations[0].logicalLocations[0].fullyQualifiedName).toBe("Deployment/gateways/selfhost");
  });

  it("makes absolute paths under the base directory relative, and leaves stdin without a file", () => {
    const finding = {
      ...sampleResult.reports[1].findings.find((f) => f.rule === "replicas")!,
      file: "/repo/k8s/a b.yaml",
    };
    const stdin = { ...finding, file: "<stdin>", line: undefined };
    const result: CheckResult = { reports: [{ ...sampleResult.reports[1], findings: [finding, stdin] }] };
    const [fromFile, fromStdin] = sarifOf(result, { baseDirectory: "/repo" }).runs[0].results;
    expect(fromFile.locations[0].physicalLocation.artifactLocation.uri).toBe("k8s/a%20b.yaml");
    expect(fromStdin.locations[0].physicalLocation).toBeUndefined();
    expect(sarifProblems(sarifOf(result, { baseDirectory: "/repo" }))).toEqual([]);
  });

  it("describes every rule given and any rule seen only in findings", () => {
    const rules = sarifOf(sampleResult).runs[0].tool.driver.rules;
    expect(rules.map((r: { id: string }) => r.id)).toEqual([...sampleRules.map((r) => r.id), "log-level"]);
    expect(rules[0]).toMatchObject({
      id: "replicas",
      shortDescription: { text: "Title of replicas" },
      help: { text: "# fix replicas\n" },
      defaultConfiguration: { level: "error" },
    });
  });

  it("maps severities to levels and rules to metadata", () => {
    expect([sarifLevel("error"), sarifLevel("warning"), sarifLevel("info")]).toEqual([
      "error",
      "warning",
      "note",
    ]);
    expect(sarifRules(sampleRules)[1].defaultConfiguration.level).toBe("warning");
  });
});
