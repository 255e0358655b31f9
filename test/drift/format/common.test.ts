import { describe, expect, it } from "vitest";
import { sortFindings } from "../../../shared/drift/format/common.js";
import { formatHtml } from "../../../shared/drift/format/html.js";
import { formatMarkdown } from "../../../shared/drift/format/markdown.js";
import { formatTable } from "../../../shared/drift/format/table.js";
import type { CheckResult, Finding } from "../../../shared/drift/types.js";
import { sampleResult } from "./sample.js";

/** The sample result with a number where text belongs, as a rule that forgot String() would produce. */
function withNumbers(): CheckResult {
  const [healthy, selfhost] = sampleResult.reports;
  const broken = selfhost.findings.map((finding) =>
    finding.rule === "namespace"
      ? ({ ...finding, actual: 5, expected: 6, message: 7, path: undefined } as unknown as Finding)
      : finding,
  );
  return { reports: [healthy, { ...selfhost, findings: broken }] };
}

describe("sortFindings", () => {
  it("hands on text fields as strings", () => {
    const namespace = sortFindings(withNumbers().reports[1].findings).find((f) => f.rule === "namespace");
    expect(namespace).toMatchObject({ actual: "5", expected: "6", message: "7", path: "" });
  });

  it.each([
    ["table", formatTable],
    ["markdown", formatMarkdown],
    ["html", formatHtml],
  ])("%s prints a finding whose actual is a number", (_name, format) => {
    const text = format(withNumbers(), {});
    expect(text).toContain("5");
    expect(text).toContain("Deployment/gateways/selfhost");
  });
});
