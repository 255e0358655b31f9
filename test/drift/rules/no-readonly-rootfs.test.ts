import { describe, expect, it } from "vitest";
import { noReadonlyRootfsRule } from "../../../shared/drift/rules/no-readonly-rootfs.js";
import { container, gateway, one } from "./base.js";

describe("no-readonly-rootfs", () => {
  it("passes when unset or false", () => {
    expect(one(noReadonlyRootfsRule, gateway()).status).toBe("pass");
    expect(
      one(
        noReadonlyRootfsRule,
        gateway((p) => (container(p).securityContext.readOnlyRootFilesystem = false)),
      ).status,
    ).toBe("pass");
  });

  it("fails readOnlyRootFilesystem: true", () => {
    const result = one(
      noReadonlyRootfsRule,
      gateway((p) => (container(p).securityContext.readOnlyRootFilesystem = true)),
    );
    expect(result).toMatchObject({
      status: "fail",
      path: "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
    });
    expect(result.line).toBeGreaterThan(0);
  });
});
