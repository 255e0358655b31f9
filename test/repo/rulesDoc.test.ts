import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { rules } from "../../shared/drift/rules/index.js";
import { baselineDoc, generatedPart, renderRules, ruleAnchor, sourceLabels } from "./rulesDoc.js";

const document = readFileSync(baselineDoc, "utf8");

/** The rows of the one-line-per-rule table: `| [`id`](#anchor) | passes when | severity | source |`. */
function tableRows(): Array<{ id: string; anchor: string; severity: string; source: string }> {
  return [...document.matchAll(/^\| \[`([\w-]+)`\]\(#([\w-]+)\) \| .*? \| ([\w/]+) \| (.+) \|$/gm)].map(
    (match) => ({
      id: match[1],
      anchor: match[2],
      severity: match[3],
      source: match[4],
    }),
  );
}

describe("docs/baseline.md", () => {
  it("holds the rule sections exactly as the registry renders them (run `npm run docs` after changing a rule)", () => {
    expect(generatedPart(document)).toBe(renderRules());
  });

  it("lists every rule once, in the registry's order, with its default severity, source and section", () => {
    const rows = tableRows();
    expect(rows.map((row) => row.id)).toEqual(rules.map((rule) => rule.id));
    for (const [index, rule] of rules.entries()) {
      const row = rows[index];
      expect(row.severity.split("/")[0], rule.id).toBe(rule.severity);
      expect(row.source, rule.id).toBe(rule.source);
      expect(row.anchor, rule.id).toBe(ruleAnchor(rule));
    }
  });

  it("explains every source label the rules use", () => {
    const explained = new Set([...document.matchAll(/^\| \*\*([^*]+)\*\* \|/gm)].map((match) => match[1]));
    const used = new Set(rules.flatMap(sourceLabels));
    expect([...used].filter((label) => !explained.has(label))).toEqual([]);
    for (const label of ["seed", "prod", "portal", "helm", "settings"]) expect(explained).toContain(label);
  });
});

describe("renderRules", () => {
  it("renders a rule's id, severity, source, thresholds, rationale and remediation", () => {
    const replicas = rules.find((rule) => rule.id === "replicas");
    const text = renderRules(replicas ? [replicas] : []);
    expect(text).toContain("### `replicas`: Enough gateway replicas");
    expect(text).toContain("- Default severity: **error**");
    expect(text).toContain("- Source: seed (2), prod (3)");
    expect(text).toContain("`errorBelow: 2`, `warnBelow: 3`");
    expect(text).toContain(replicas?.rationale);
    expect(text).toContain("```yaml\nspec:\n  replicas: 3");
  });
});
