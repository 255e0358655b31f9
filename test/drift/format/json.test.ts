import { describe, expect, it } from "vitest";
import { formatJson } from "../../../shared/drift/format/json.js";
import { sampleResult } from "./sample.js";

describe("formatJson", () => {
  it("is { reports } with every report and finding field as given", () => {
    const parsed = JSON.parse(formatJson(sampleResult));
    expect(Object.keys(parsed)).toEqual(["reports"]);
    expect(parsed).toEqual(JSON.parse(JSON.stringify({ reports: sampleResult.reports })));
    const finding = parsed.reports[1].findings.find((f: { rule: string }) => f.rule === "replicas");
    expect(Object.keys(finding).sort()).toEqual(
      [
        "rule",
        "severity",
        "status",
        "object",
        "file",
        "line",
        "path",
        "expected",
        "actual",
        "message",
        "remediation",
        "source",
      ].sort(),
    );
  });
});
