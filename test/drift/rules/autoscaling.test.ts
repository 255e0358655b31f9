import { describe, expect, it } from "vitest";
import { autoscalingRule } from "../../../shared/drift/rules/autoscaling.js";
import { gateway, hpa, one } from "./base.js";

describe("autoscaling", () => {
  it("passes an HPA targeting the deployment", () => {
    const result = one(
      autoscalingRule,
      gateway((p) => p.extra.push(hpa(3))),
    );
    expect(result).toMatchObject({
      status: "pass",
      actual: "HorizontalPodAutoscaler/apim/gw",
      path: "HorizontalPodAutoscaler/apim/gw:spec.scaleTargetRef",
    });
  });

  it("passes a KEDA ScaledObject", () => {
    const scaled = {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "gw", namespace: "apim" },
      spec: { scaleTargetRef: { name: "gw" }, minReplicaCount: 3 },
    };
    expect(
      one(
        autoscalingRule,
        gateway((p) => p.extra.push(scaled)),
      ).status,
    ).toBe("pass");
  });

  it("is unknown without one in a manifest and fails live", () => {
    expect(one(autoscalingRule, gateway()).status).toBe("unknown");
    expect(one(autoscalingRule, gateway(undefined, { partial: false })).status).toBe("fail");
  });
});
