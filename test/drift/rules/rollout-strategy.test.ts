import { describe, expect, it } from "vitest";
import { rolloutStrategyRule } from "../../../shared/drift/rules/rollout-strategy.js";
import { gateway, one } from "./base.js";

describe("rollout-strategy", () => {
  it("passes RollingUpdate", () => {
    expect(one(rolloutStrategyRule, gateway())).toMatchObject({ status: "pass", path: "spec.strategy.type" });
  });

  it("passes an unset strategy (Kubernetes defaults to RollingUpdate)", () => {
    const result = one(
      rolloutStrategyRule,
      gateway((p) => delete p.deployment.spec.strategy),
    );
    expect(result.status).toBe("pass");
    expect(result.actual).toContain("defaults to RollingUpdate");
  });

  it("fails Recreate", () => {
    const result = one(
      rolloutStrategyRule,
      gateway((p) => (p.deployment.spec.strategy = { type: "Recreate" })),
    );
    expect(result).toMatchObject({ status: "fail", actual: "Recreate" });
    expect(result.line).toBeGreaterThan(0);
  });
});
