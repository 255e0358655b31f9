import { describe, expect, it } from "vitest";
import { disruptionBudgetRule } from "../../../shared/drift/rules/disruption-budget.js";
import { gateway, one, type Doc } from "./base.js";

const withBudget = (spec: Doc, replicas = 4) =>
  gateway((p) => {
    p.deployment.spec.replicas = replicas;
    p.pdb.spec = { ...spec, selector: { matchLabels: { app: "gw" } } };
  });

describe("disruption-budget", () => {
  it.each([
    [{ maxUnavailable: 1 }],
    [{ maxUnavailable: "25%" }],
    [{ minAvailable: 3 }],
    [{ minAvailable: "75%" }],
  ])("passes %j with 4 replicas", (spec) => {
    const result = one(disruptionBudgetRule, withBudget(spec));
    expect(result.status).toBe("pass");
    expect(result.path).toMatch(/^PodDisruptionBudget\/apim\/gw:spec\.(maxUnavailable|minAvailable)$/);
    expect(result.line).toBeGreaterThan(0);
  });

  it.each([
    [{ maxUnavailable: 2 }],
    [{ maxUnavailable: "50%" }],
    [{ minAvailable: 1 }],
    [{ minAvailable: "50%" }],
  ])("fails %j with 4 replicas", (spec) => {
    expect(one(disruptionBudgetRule, withBudget(spec)).status).toBe("fail");
  });

  it("passes 2 of 10 down (20%)", () => {
    expect(one(disruptionBudgetRule, withBudget({ maxUnavailable: 2 }, 10)).status).toBe("pass");
  });

  it("fails a limit that is not an integer or a percentage", () => {
    expect(one(disruptionBudgetRule, withBudget({ maxUnavailable: "one" })).status).toBe("fail");
    expect(one(disruptionBudgetRule, withBudget({ maxUnavailable: -1 })).status).toBe("fail");
    expect(one(disruptionBudgetRule, withBudget({ minAvailable: 1.5 })).status).toBe("fail");
  });

  it("ignores a PDB that selects other pods", () => {
    const bundle = gateway((p) => (p.pdb.spec.selector = { matchLabels: { app: "other" } }));
    expect(one(disruptionBudgetRule, bundle).status).toBe("unknown");
  });

  it("is unknown without a PDB in a manifest and fails live", () => {
    expect(
      one(
        disruptionBudgetRule,
        gateway((p) => delete p.pdb),
      ).status,
    ).toBe("unknown");
    expect(
      one(
        disruptionBudgetRule,
        gateway((p) => delete p.pdb, { partial: false }),
      ).status,
    ).toBe("fail");
  });
});
