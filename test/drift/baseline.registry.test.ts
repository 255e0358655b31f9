/**
 * knownRuleIds follows the rule registry: a rule added to rules/index.ts is a known baseline id without
 * touching baseline.ts. (A file of its own: the mock replaces the registry for every test in the file.)
 */
import { describe, expect, it, vi } from "vitest";
import type { Rule } from "../../shared/drift/types.js";

vi.mock("../../shared/drift/rules/index.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../shared/drift/rules/index.js")>();
  const added: Rule = { ...original.rules[0], id: "added-rule" };
  return { ...original, rules: [...original.rules, added] };
});

const { knownRuleIds, parseBaseline } = await import("../../shared/drift/baseline.js");
const { rules } = await import("../../shared/drift/rules/index.js");

describe("knownRuleIds", () => {
  it("is the registry's ids plus the annotation findings", () => {
    expect(knownRuleIds).toEqual([
      ...rules.map((rule) => rule.id),
      "exemption-reason",
      "exemption-unknown-rule",
    ]);
    expect(knownRuleIds).toContain("added-rule");
    expect(parseBaseline("rules:\n  added-rule: {enabled: false}\n", "b.yaml").rules).toEqual({
      "added-rule": { enabled: false },
    });
  });
});
