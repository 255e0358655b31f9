import { describe, expect, it } from "vitest";
import { formatHtml, relativeTime } from "../../../shared/drift/format/html.js";
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

  it("labels statuses in words, shows code without backticks and ISO times with relative ones", () => {
    const failing = sampleResult.reports.find((r) => r.summary.fail > 0)!;
    const report = {
      ...failing,
      checkedAt: "2026-11-26T10:00:00.000Z",
      findings: [
        {
          ...failing.findings.find((f) => f.status === "fail" && f.severity === "error")!,
          message: "The token expires 2026-11-30T10:00:00.000Z; it lands in `default` (see `kubectl`).",
        },
      ],
    };
    const page = formatHtml({ reports: [report] });
    expect(page).toContain('<td class="status fail error">Fails</td>');
    expect(page).toContain(
      'The token expires <time datetime="2026-11-30T10:00:00.000Z">2026-11-30T10:00:00.000Z</time> (in 4 days); it lands in <code>default</code> (see <code>kubectl</code>).',
    );
    expect(page).not.toContain("`");
    expect(page).toMatch(
      /Checked at <time datetime="2026-11-26T10:00:00.000Z">[^<]+<\/time> \(\d+ \w+ ago\)/,
    );
  });

  it("says how far a time is from another in words", () => {
    const at = new Date("2026-11-26T10:00:00Z");
    expect(relativeTime(new Date("2026-11-26T10:00:30Z"), at)).toBe("just now");
    expect(relativeTime(new Date("2026-11-26T09:59:00Z"), at)).toBe("1 minute ago");
    expect(relativeTime(new Date("2026-11-26T13:30:00Z"), at)).toBe("in 3 hours");
    expect(relativeTime(new Date("2026-11-19T10:00:00Z"), at)).toBe("7 days ago");
    expect(relativeTime(new Date("nonsense"), at)).toBe("");
  });
});
