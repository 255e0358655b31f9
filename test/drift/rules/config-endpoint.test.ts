import { describe, expect, it } from "vitest";
import { configEndpointRule } from "../../../shared/drift/rules/config-endpoint.js";
import { container, gateway, one } from "./base.js";

const withEndpoint = (endpoint: string) =>
  gateway((p) => (p.configMap.data["config.service.endpoint"] = endpoint));

describe("config-endpoint", () => {
  it.each([
    "https://contoso.configuration.azure-api.net",
    "contoso.configuration.azure-api.net",
    "<apim-name>.configuration.azure-api.net",
    "https://gateway-config.contoso.com:443/",
  ])("passes %s", (endpoint) => {
    expect(one(configEndpointRule, withEndpoint(endpoint))).toMatchObject({
      status: "pass",
      actual: endpoint,
    });
  });

  it("fails the retired v1 management endpoint", () => {
    const result = one(
      configEndpointRule,
      withEndpoint("https://contoso.management.azure-api.net/subscriptions/x"),
    );
    expect(result.status).toBe("fail");
    expect(result.message).toContain("retired v1");
  });

  it("fails a value that is not a URL or host", () => {
    expect(one(configEndpointRule, withEndpoint("paste URL here")).status).toBe("fail");
  });

  it("fails when unset, and is unknown when the ConfigMap is missing from a manifest", () => {
    expect(
      one(
        configEndpointRule,
        gateway((p) => delete p.configMap.data["config.service.endpoint"]),
      ).status,
    ).toBe("fail");
    expect(
      one(
        configEndpointRule,
        gateway((p) => delete p.configMap),
      ).status,
    ).toBe("unknown");
  });

  it("reads an env var", () => {
    const bundle = gateway((p) =>
      container(p).env.push({ name: "config.service.endpoint", value: "https://x.management.azure-api.net" }),
    );
    expect(one(configEndpointRule, bundle)).toMatchObject({
      status: "fail",
      path: "spec.template.spec.containers[0].env[1].value",
    });
  });
});
