import { describe, expect, it } from "vitest";
import { zoneSpreadRule } from "../../../shared/drift/rules/zone-spread.js";
import { gateway, one, pod } from "./base.js";

describe("zone-spread", () => {
  it("passes topologySpreadConstraints on zones", () => {
    expect(one(zoneSpreadRule, gateway())).toMatchObject({
      status: "pass",
      path: "spec.template.spec.topologySpreadConstraints[0]",
    });
  });

  it("passes pod anti-affinity", () => {
    const bundle = gateway((p) => {
      delete pod(p).topologySpreadConstraints;
      pod(p).affinity = {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                topologyKey: "kubernetes.io/hostname",
                labelSelector: { matchLabels: { app: "gw" } },
              },
            },
          ],
        },
      };
    });
    expect(one(zoneSpreadRule, bundle).status).toBe("pass");
  });

  it("fails a spread on hostnames only", () => {
    const bundle = gateway(
      (p) => (pod(p).topologySpreadConstraints[0].topologyKey = "kubernetes.io/hostname"),
    );
    expect(one(zoneSpreadRule, bundle)).toMatchObject({
      status: "fail",
      actual: "topologySpreadConstraints on kubernetes.io/hostname only",
    });
  });

  it("fails when nothing spreads the pods", () => {
    expect(
      one(
        zoneSpreadRule,
        gateway((p) => delete pod(p).topologySpreadConstraints),
      ).status,
    ).toBe("fail");
  });
});
