import { describe, expect, it } from "vitest";
import { configBackupGroupRule } from "../../../shared/drift/rules/config-backup-group.js";
import { container, gateway, one, pod } from "./base.js";

describe("config-backup-group", () => {
  it("passes fsGroup 1001 with a backup", () => {
    expect(one(configBackupGroupRule, gateway())).toMatchObject({
      status: "pass",
      actual: "1001",
      path: "spec.template.spec.securityContext.fsGroup",
    });
  });

  it("fails a backup without fsGroup", () => {
    const result = one(
      configBackupGroupRule,
      gateway((p) => delete pod(p).securityContext),
    );
    expect(result).toMatchObject({ status: "fail", actual: "(unset)" });
    expect(result.line).toBeGreaterThan(0);
  });

  it("fails another fsGroup", () => {
    expect(
      one(
        configBackupGroupRule,
        gateway((p) => (pod(p).securityContext.fsGroup = 2000)),
      ).status,
    ).toBe("fail");
  });

  it("does not apply without a backup", () => {
    const bundle = gateway((p) => {
      delete pod(p).securityContext;
      delete container(p).volumeMounts;
    });
    const result = one(configBackupGroupRule, bundle);
    expect(result.status).toBe("pass");
    expect(result.message).toContain("Not applicable");
  });
});
