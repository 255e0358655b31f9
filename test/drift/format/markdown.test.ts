import { describe, expect, it } from "vitest";
import { formatMarkdown } from "../../../shared/drift/format/markdown.js";
import { passingResult, sampleResult } from "./sample.js";

describe("formatMarkdown", () => {
  const md = formatMarkdown(sampleResult);

  it("starts with a summary table, failing deployments first", () => {
    const lines = md.split("\n");
    expect(lines[0]).toBe("### ❌ gateway-guard: 3 failing checks in 2 deployments");
    expect(lines[2]).toBe("| Deployment | Errors | Warnings | Info | Passed | Unknown | Exempt |");
    expect(lines[4]).toMatch(
      /^\| Deployment\/gateways\/selfhost \(k8s\/gateway\.yaml:23\) \| 1 \| 1 \| 1 \| 1 \| 1 \| 1 \|$/,
    );
    expect(lines[5]).toMatch(/^\| Deployment\/gateways\/healthy .* \| 0 \| 0 \| 0 \| 1 \| 0 \| 0 \|$/);
  });

  it("lists failing findings with remediation in yaml blocks that their content cannot close", () => {
    expect(md).toContain("❌ **`replicas`** (error)");
    expect(md).toContain("```yaml\nspec:\n  replicas: 3\n```");
    expect(md).toContain("````yaml\nmetadata:\n  namespace: gateways # ``` fence\n````");
  });

  it("neutralises HTML and table syntax from manifests", () => {
    expect(md).not.toContain("<script>");
    expect(md).not.toMatch(/[\u0007\u001b]/); // eslint-disable-line no-control-regex
    expect(md).toContain("&lt;script&gt;");
    const row = md.split("\n").find((line) => line.startsWith("| Deployment/gateways/selfhost"))!;
    expect(row.split(/(?<!\\)\|/)).toHaveLength(9);
  });

  it("puts unknown and exempt findings in a collapsed list", () => {
    expect(md).toMatch(/<details><summary>2 unknown or exempt<\/summary>/);
    expect(md).toContain("- `graceful-shutdown` exempt: drains fast &lt;on purpose&gt;");
  });

  it("says so when nothing fails", () => {
    expect(formatMarkdown(passingResult).split("\n")[0]).toBe(
      "### ✅ gateway-guard: no failing checks in 1 deployment",
    );
  });
});
