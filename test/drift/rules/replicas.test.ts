import { describe, expect, it } from "vitest";
import { replicasRule } from "../../../shared/drift/rules/replicas.js";
import { bundleFromYaml } from "../helpers.js";
import { gateway, gatewayYaml, hpa, one } from "./base.js";

describe("replicas", () => {
  it("passes 3 replicas", () => {
    expect(one(replicasRule, gateway())).toMatchObject({
      status: "pass",
      actual: "3",
      path: "spec.replicas",
    });
  });

  it("is an error below 2", () => {
    const result = one(
      replicasRule,
      gateway((p) => (p.deployment.spec.replicas = 1)),
    );
    expect(result).toMatchObject({ status: "fail", severity: "error", actual: "1" });
  });

  it("is an error when replicas is not set (Kubernetes runs one)", () => {
    const result = one(
      replicasRule,
      gateway((p) => delete p.deployment.spec.replicas),
    );
    expect(result).toMatchObject({ status: "fail", severity: "error", actual: "1" });
  });

  it.each([".nan", "3.5", ".inf", "1e400", "-1", '"3"', "[3]"])(
    "fails replicas: %s with the manifest's own value, not a default",
    (written) => {
      const yaml = gatewayYaml().replace(/^( {2}replicas:) 3$/m, `$1 ${written}`);
      const result = one(replicasRule, bundleFromYaml(yaml));
      expect(result).toMatchObject({
        status: "fail",
        severity: "error",
        actual: written,
        path: "spec.replicas",
      });
      expect(result.message).toBe(
        `spec.replicas is ${written}: expected a non-negative whole number such as 3 (Kubernetes refuses anything else).`,
      );
      expect(result.message).not.toMatch(/NaN|Infinity|object Object/);
    },
  );

  it("is a warning at 2", () => {
    const result = one(
      replicasRule,
      gateway((p) => (p.deployment.spec.replicas = 2)),
    );
    expect(result).toMatchObject({ status: "fail", severity: "warning", actual: "2" });
  });

  it("uses the minReplicas of an HPA targeting the deployment", () => {
    const low = one(
      replicasRule,
      gateway((p) => p.extra.push(hpa(1))),
    );
    expect(low).toMatchObject({
      status: "fail",
      severity: "error",
      path: "HorizontalPodAutoscaler/apim/gw:spec.minReplicas",
    });
    expect(low.file).toBe("gateway.yaml");
    expect(low.line).toBeGreaterThan(0);
    const fine = one(
      replicasRule,
      gateway((p) => {
        p.deployment.spec.replicas = 1;
        p.extra.push(hpa(3));
      }),
    );
    expect(fine.status).toBe("pass");
  });

  it("counts an HPA without minReplicas as 1", () => {
    expect(
      one(
        replicasRule,
        gateway((p) => p.extra.push(hpa())),
      ).actual,
    ).toBe("1");
  });

  it("ignores an HPA targeting another deployment", () => {
    const result = one(
      replicasRule,
      gateway((p) => {
        const other = hpa(1);
        other.spec.scaleTargetRef.name = "other";
        p.extra.push(other);
      }),
    );
    expect(result).toMatchObject({ status: "pass", path: "spec.replicas" });
  });

  it("takes thresholds from the baseline", () => {
    expect(one(replicasRule, gateway(), { errorBelow: 3, warnBelow: 5 })).toMatchObject({
      status: "fail",
      severity: "warning",
    });
    expect(one(replicasRule, gateway(), { errorBelow: 4, warnBelow: 5 })).toMatchObject({
      status: "fail",
      severity: "error",
    });
  });
});
