import { describe, expect, it } from "vitest";
import { livenessProbeRule } from "../../../shared/drift/rules/liveness-probe.js";
import { container, gateway, one } from "./base.js";

describe("liveness-probe", () => {
  it("passes a liveness probe", () => {
    expect(one(livenessProbeRule, gateway()).status).toBe("pass");
  });

  it("notes a missing one", () => {
    const result = one(
      livenessProbeRule,
      gateway((p) => delete container(p).livenessProbe),
    );
    expect(result).toMatchObject({ status: "fail", path: "spec.template.spec.containers[0].livenessProbe" });
    expect(result.line).toBeGreaterThan(0);
  });
});
