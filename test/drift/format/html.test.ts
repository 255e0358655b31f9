import { describe, expect, it } from "vitest";
import { formatHtml } from "../../../shared/drift/format/html.js";
import { hostile, sampleResult } from "./sample.js";
import { xmlProblems } from "./wellFormed.js";

const voidElements = new Set(["meta", "br", "hr", "img", "link"]);

describe("formatHtml", () => {
  const html = formatHtml(sampleResult, { toolVersion: "1.2.3" });

  it("is one self-contained page without scripts", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<style>");
    expect(html).not.toMatch(/<script|<link|src=/i);
    expect(html).toContain("default-src 'none'");
    expect(xmlProblems(html.replace(/<style>[\s\S]*?<\/style>/, "<style></style>"), voidElements)).toEqual(
      [],
    );
  });

  it("escapes every piece of text", () => {
    expect(html).not.toContain(hostile);
    expect(html).toContain(
      "Namespace is &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;",
    );
    expect(html).toContain("Exempt: drains fast &lt;on purpose&gt;");
  });

  it("has a summary and a table per deployment, failing deployment first", () => {
    expect(html).toContain("2 deployments checked: 3 failing (1 error, 1 warning, 1 info)");
    expect(html.match(/<section id="deployment-/g)).toHaveLength(2);
    expect(html.indexOf("<h2>Deployment/gateways/selfhost")).toBeLessThan(
      html.indexOf("<h2>Deployment/gateways/healthy"),
    );
    expect(html).toContain("<pre><code>spec:\n  replicas: 3\n</code></pre>");
    expect(html).toContain("gateway-guard 1.2.3");
  });
});
