import { describe, expect, it } from "vitest";
import { configBackupRule } from "../../../shared/drift/rules/config-backup.js";
import { container, gateway, one, pod } from "./base.js";

describe("config-backup", () => {
  it("passes a PersistentVolumeClaim at /apim/config", () => {
    const result = one(configBackupRule, gateway());
    expect(result).toMatchObject({
      status: "pass",
      actual: "persistentVolumeClaim gw-config",
      path: "spec.template.spec.volumes[0].persistentVolumeClaim",
    });
  });

  it("accepts a trailing slash in the mount path", () => {
    expect(
      one(
        configBackupRule,
        gateway((p) => (container(p).volumeMounts[0].mountPath = "/apim/config/")),
      ).status,
    ).toBe("pass");
  });

  it("fails an emptyDir (lost on restart)", () => {
    const result = one(
      configBackupRule,
      gateway((p) => (pod(p).volumes = [{ name: "config-backup", emptyDir: {} }])),
    );
    expect(result).toMatchObject({
      status: "fail",
      actual: "emptyDir volume config-backup",
      path: "spec.template.spec.volumes[0]",
    });
  });

  it("fails when nothing is mounted at /apim/config", () => {
    const result = one(
      configBackupRule,
      gateway((p) => (container(p).volumeMounts = [{ name: "config-backup", mountPath: "/data" }])),
    );
    expect(result).toMatchObject({ status: "fail", path: "spec.template.spec.containers[0].volumeMounts" });
  });

  it("fails a mount of an undeclared volume", () => {
    expect(
      one(
        configBackupRule,
        gateway((p) => delete pod(p).volumes),
      ).status,
    ).toBe("fail");
  });

  it("fails a backup mounted only in another container", () => {
    const bundle = gateway((p) => {
      delete container(p).volumeMounts;
      pod(p).containers.push({
        name: "sidecar",
        image: "busybox:1.36",
        volumeMounts: [{ name: "config-backup", mountPath: "/apim/config" }],
      });
    });
    expect(one(configBackupRule, bundle).status).toBe("fail");
  });
});
