import { describe, expect, it } from "vitest";
import { localTelemetryRule } from "../../../shared/drift/rules/local-telemetry.js";
import { container, gateway, one } from "./base.js";

const withData = (data: Record<string, string>) =>
  gateway(
    (p) =>
      (p.configMap.data = {
        "config.service.endpoint": "https://contoso.configuration.azure-api.net",
        ...data,
      }),
  );

describe("local-telemetry", () => {
  it("passes statsd with an endpoint, pointing at the ConfigMap", () => {
    const result = one(localTelemetryRule, gateway());
    expect(result.status).toBe("pass");
    expect(result.path).toBe('ConfigMap/apim/gw-env:data["telemetry.metrics.local.statsd.endpoint"]');
    expect(result.line).toBeGreaterThan(0);
  });

  it("passes OpenTelemetry", () => {
    expect(one(localTelemetryRule, withData({ "observability.opentelemetry.enabled": "true" })).status).toBe(
      "pass",
    );
  });

  it("passes settings given as env vars", () => {
    const bundle = gateway((p) => {
      p.configMap.data = { "config.service.endpoint": "https://contoso.configuration.azure-api.net" };
      container(p).env.push({ name: "observability.opentelemetry.enabled", value: "true" });
    });
    const result = one(localTelemetryRule, bundle);
    expect(result.status).toBe("pass");
    expect(result.path).toMatch(/^spec\.template\.spec\.containers\[0\]\.env\[1\]/);
  });

  it("fails statsd without an endpoint", () => {
    const result = one(localTelemetryRule, withData({ "telemetry.metrics.local": "statsd" }));
    expect(result).toMatchObject({ status: "fail", actual: "statsd without an endpoint" });
  });

  it("fails when local metrics are off", () => {
    expect(one(localTelemetryRule, withData({ "telemetry.metrics.local": "none" })).status).toBe("fail");
    expect(one(localTelemetryRule, withData({ "observability.opentelemetry.enabled": "false" })).status).toBe(
      "fail",
    );
    expect(one(localTelemetryRule, withData({})).status).toBe("fail");
  });

  it("is unknown when the ConfigMap is not in a manifest, and fails in a live check", () => {
    expect(
      one(
        localTelemetryRule,
        gateway((p) => delete p.configMap),
      ).status,
    ).toBe("unknown");
    expect(
      one(
        localTelemetryRule,
        gateway((p) => delete p.configMap, { partial: false }),
      ).status,
    ).toBe("fail");
  });
});
