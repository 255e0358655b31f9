import { describe, expect, it } from "vitest";
import { rolloutLimitsExplicitRule } from "../../../shared/drift/rules/rollout-limits-explicit.js";
import { gateway, one, type Doc } from "./base.js";

const limits = (rollingUpdate: Doc) =>
  gateway((p) => (p.deployment.spec.strategy = { type: "RollingUpdate", rollingUpdate }));

describe("rollout-limits-explicit", () => {
  it("passes maxUnavailable 0 with a percent maxSurge", () => {
    expect(one(rolloutLimitsExplicitRule, limits({ maxUnavailable: 0, maxSurge: "25%" })).status).toBe(
      "pass",
    );
  });

  it("passes integer limits", () => {
    expect(one(rolloutLimitsExplicitRule, limits({ maxUnavailable: 0, maxSurge: 1 })).status).toBe("pass");
  });

  it("passes percent limits, with 0% as zero", () => {
    expect(one(rolloutLimitsExplicitRule, limits({ maxUnavailable: "0%", maxSurge: "50%" })).status).toBe(
      "pass",
    );
  });

  it("passes a non-zero maxUnavailable but recommends 0", () => {
    const result = one(rolloutLimitsExplicitRule, limits({ maxUnavailable: "25%", maxSurge: 1 }));
    expect(result.status).toBe("pass");
    expect(result.message).toContain("0 is recommended");
  });

  it("fails a non-zero maxUnavailable when the baseline requires 0", () => {
    const result = one(rolloutLimitsExplicitRule, limits({ maxUnavailable: 1, maxSurge: 1 }), {
      requireMaxUnavailableZero: true,
    });
    expect(result).toMatchObject({ status: "fail", path: "spec.strategy.rollingUpdate.maxUnavailable" });
  });

  it("fails when the limits are left to defaults", () => {
    const result = one(
      rolloutLimitsExplicitRule,
      gateway((p) => delete p.deployment.spec.strategy),
    );
    expect(result).toMatchObject({ status: "fail", actual: "maxUnavailable: (unset), maxSurge: (unset)" });
  });

  it("fails when only one limit is set, naming the other", () => {
    const result = one(rolloutLimitsExplicitRule, limits({ maxUnavailable: 0 }));
    expect(result).toMatchObject({ status: "fail", path: "spec.strategy.rollingUpdate.maxSurge" });
    expect(result.message).toContain("maxSurge");
  });

  it("fails both limits at 0 (the rollout could not progress)", () => {
    expect(one(rolloutLimitsExplicitRule, limits({ maxUnavailable: 0, maxSurge: "0%" })).status).toBe("fail");
  });

  it("fails a limit that is neither an integer nor a percentage", () => {
    const result = one(rolloutLimitsExplicitRule, limits({ maxUnavailable: "1", maxSurge: 1 }));
    expect(result).toMatchObject({ status: "fail", path: "spec.strategy.rollingUpdate.maxUnavailable" });
  });

  it("passes Recreate as not applicable, leaving the failure to rollout-strategy", () => {
    expect(
      one(
        rolloutLimitsExplicitRule,
        gateway((p) => (p.deployment.spec.strategy = { type: "Recreate" })),
      ),
    ).toMatchObject({
      status: "pass",
      message: "not applicable: strategy is not RollingUpdate (see rollout-strategy)",
    });
  });
});
