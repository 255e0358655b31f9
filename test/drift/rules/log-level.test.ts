import { describe, expect, it } from "vitest";
import { logLevelRule } from "../../../shared/drift/rules/log-level.js";
import { container, gateway, one } from "./base.js";

const withLevel = (level: string) => gateway((p) => (p.configMap.data["telemetry.logs.std.level"] = level));

describe("log-level", () => {
  it.each(["warn", "error", "Warn"])("passes %s", (level) => {
    expect(one(logLevelRule, withLevel(level))).toMatchObject({ status: "pass", actual: level });
  });

  it.each(["info", "debug"])("notes %s", (level) => {
    const result = one(logLevelRule, withLevel(level));
    expect(result).toMatchObject({
      status: "fail",
      actual: level,
      path: 'ConfigMap/apim/gw-env:data["telemetry.logs.std.level"]',
    });
  });

  it("notes an unset level (the gateway defaults to info)", () => {
    const result = one(
      logLevelRule,
      gateway((p) => delete p.configMap.data["telemetry.logs.std.level"]),
    );
    expect(result).toMatchObject({ status: "fail", actual: "(unset: defaults to info)" });
  });

  it("lets an env var override the ConfigMap, as Kubernetes does", () => {
    const bundle = gateway((p) => container(p).env.push({ name: "telemetry.logs.std.level", value: "info" }));
    expect(one(logLevelRule, bundle)).toMatchObject({ status: "fail", actual: "info" });
  });

  it("is unknown when the ConfigMap is missing from a manifest", () => {
    expect(
      one(
        logLevelRule,
        gateway((p) => delete p.configMap),
      ).status,
    ).toBe("unknown");
  });

  it("takes the allowed levels from the baseline", () => {
    expect(one(logLevelRule, withLevel("info"), { levels: ["info", "warn"] }).status).toBe("pass");
  });
});
