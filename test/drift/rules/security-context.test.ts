import { describe, expect, it } from "vitest";
import { securityContextRule } from "../../../shared/drift/rules/security-context.js";
import { container, gateway, one, pod } from "./base.js";

describe("security-context", () => {
  it("passes the restricted context", () => {
    expect(one(securityContextRule, gateway())).toMatchObject({
      status: "pass",
      path: "spec.template.spec.containers[0].securityContext",
    });
  });

  it("accepts runAsNonRoot from the pod", () => {
    const bundle = gateway((p) => {
      delete container(p).securityContext.runAsNonRoot;
      pod(p).securityContext.runAsNonRoot = true;
    });
    expect(one(securityContextRule, bundle).status).toBe("pass");
  });

  it("names everything missing", () => {
    const result = one(
      securityContextRule,
      gateway((p) => delete container(p).securityContext),
    );
    expect(result.status).toBe("fail");
    expect(result.actual).toBe(
      "missing runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities.drop: [ALL]",
    );
  });

  it("fails when capabilities are only partly dropped", () => {
    const result = one(
      securityContextRule,
      gateway((p) => (container(p).securityContext.capabilities.drop = ["NET_RAW"])),
    );
    expect(result).toMatchObject({ status: "fail", actual: "missing capabilities.drop: [ALL]" });
  });
});
