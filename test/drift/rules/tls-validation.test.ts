import { describe, expect, it } from "vitest";
import { tlsValidationRule } from "../../../shared/drift/rules/tls-validation.js";
import { gateway, one } from "./base.js";

const key = "config.service.endpoint.disableCertificateValidation";

describe("tls-validation", () => {
  it("passes when absent or false", () => {
    expect(one(tlsValidationRule, gateway()).status).toBe("pass");
    expect(
      one(
        tlsValidationRule,
        gateway((p) => (p.configMap.data[key] = "false")),
      ).status,
    ).toBe("pass");
  });

  it("fails when validation is disabled", () => {
    const result = one(
      tlsValidationRule,
      gateway((p) => (p.configMap.data[key] = "true")),
    );
    expect(result).toMatchObject({
      status: "fail",
      actual: "true",
      path: `ConfigMap/apim/gw-env:data["${key}"]`,
    });
  });

  it("is unknown when the ConfigMap is missing from a manifest", () => {
    expect(
      one(
        tlsValidationRule,
        gateway((p) => delete p.configMap),
      ).status,
    ).toBe("unknown");
  });
});
