import { describe, expect, it } from "vitest";
import { formatJunit } from "../../../shared/drift/format/junit.js";
import { hostile, sampleResult } from "./sample.js";
import { xmlProblems } from "./wellFormed.js";

describe("formatJunit", () => {
  const xml = formatJunit(sampleResult);

  it("is well-formed XML with escaped text", () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xmlProblems(xml)).toEqual([]);
    expect(xml).not.toContain(hostile);
    expect(xml).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;");
    expect(xml).not.toMatch(/[\u0007\u001b]/); // eslint-disable-line no-control-regex
  });

  it("has one suite per deployment and one test case per rule", () => {
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(7);
    expect(xml).toMatch(/<testsuites name="gateway-guard" tests="7" failures="3" errors="0" skipped="2">/);
  });

  it("fails failing rules, skips unknown and exempt ones, passes the rest", () => {
    expect(xml).toMatch(/name="replicas" file="k8s\/gateway.yaml" line="30">\s*<failure type="error"/);
    expect(xml).toMatch(/name="log-level"[^>]*>\s*<failure type="info"/);
    expect(xml).toMatch(/name="disruption-budget"[^>]*>\s*<skipped message="unknown: No PodDisruptionBudget/);
    expect(xml).toMatch(
      /name="graceful-shutdown"[^>]*>\s*<skipped message="exempt: drains fast &lt;on purpose&gt;"/,
    );
    expect(xml).toMatch(/name="image-tag-pinned"[^>]*\/>/);
  });
});
