import { describe, expect, it } from "vitest";
import { tokenFromSecretRule } from "../../../shared/drift/rules/token-from-secret.js";
import { container, gateway, one } from "./base.js";

const token = "GatewayKey gw&202603010000&Zm9vYmFyLXNlY3JldC10b2tlbg==";

describe("token-from-secret", () => {
  it("passes env valueFrom.secretKeyRef", () => {
    const result = one(tokenFromSecretRule, gateway());
    expect(result).toMatchObject({
      status: "pass",
      actual: "secretKeyRef gw-token key value",
      path: "spec.template.spec.containers[0].env[0]",
    });
  });

  it("passes envFrom secretRef with a config.service.auth key", () => {
    const bundle = gateway((p) => {
      container(p).env = [];
      container(p).envFrom.push({ secretRef: { name: "gw-token" } });
      p.extra.push({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "gw-token", namespace: "apim" },
        stringData: { "config.service.auth": token },
      });
    });
    const result = one(tokenFromSecretRule, bundle);
    expect(result.status).toBe("pass");
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it("passes the docs variant: config.service.auth 'key' with config.service.auth.key from a Secret", () => {
    const bundle = gateway((p) => {
      container(p).env = [];
      p.configMap.data["config.service.auth"] = "key";
      container(p).envFrom.push({ secretRef: { name: "apim-access-token" } });
    });
    expect(one(tokenFromSecretRule, bundle).status).toBe("pass");
  });

  it("fails a literal token in env, never showing it", () => {
    const bundle = gateway((p) => (container(p).env = [{ name: "config.service.auth", value: token }]));
    const result = one(tokenFromSecretRule, bundle);
    expect(result.status).toBe("fail");
    expect(result.actual).toContain("<redacted>");
    expect(result.path).toBe("spec.template.spec.containers[0].env[0].value");
    expect(result.line).toBeGreaterThan(0);
    expect(JSON.stringify(result)).not.toContain(token);
    expect(JSON.stringify(result)).not.toContain("Zm9vYmFy");
  });

  it("fails a literal token in a ConfigMap, never showing it", () => {
    const bundle = gateway((p) => {
      container(p).env = [];
      p.configMap.data["config.service.auth"] = token;
    });
    const result = one(tokenFromSecretRule, bundle);
    expect(result.status).toBe("fail");
    expect(result.path).toBe('ConfigMap/apim/gw-env:data["config.service.auth"]');
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it("fails a literal token left in a ConfigMap even when env (a Secret) takes precedence", () => {
    const bundle = gateway((p) => {
      p.configMap.data["config.service.auth"] = token;
    });
    const results = tokenFromSecretRule.check(bundle, { settings: {}, now: new Date() });
    expect(results.map((r) => r.status)).toEqual(["pass", "fail"]);
    expect(results[1]).toMatchObject({
      path: 'ConfigMap/apim/gw-env:data["config.service.auth"]',
      actual: expect.stringContaining("overridden, but still in the manifest"),
    });
    expect(results[1].line).toBeGreaterThan(0);
    expect(JSON.stringify(results)).not.toContain("Zm9vYmFy");
  });

  it("fails a literal config.service.auth.key, never showing it", () => {
    const bundle = gateway((p) => {
      container(p).env = [];
      p.configMap.data["config.service.auth"] = "key";
      p.configMap.data["config.service.auth.key"] = token;
    });
    const result = one(tokenFromSecretRule, bundle);
    expect(result.status).toBe("fail");
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it("passes Entra ID authentication (no token)", () => {
    const bundle = gateway((p) => {
      container(p).env = [];
      p.configMap.data["config.service.auth"] = "workloadIdentity";
    });
    expect(one(tokenFromSecretRule, bundle).status).toBe("pass");
  });

  it("fails when no token is configured at all", () => {
    const result = one(
      tokenFromSecretRule,
      gateway((p) => (container(p).env = [])),
    );
    expect(result).toMatchObject({ status: "fail", actual: "config.service.auth not set" });
  });

  it("is unknown when the auth setting may be in a ConfigMap the manifest lacks", () => {
    const bundle = gateway((p) => {
      container(p).env = [];
      delete p.configMap;
    });
    expect(one(tokenFromSecretRule, bundle).status).toBe("unknown");
  });
});
