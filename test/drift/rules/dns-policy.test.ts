import { describe, expect, it } from "vitest";
import { dnsPolicyRule } from "../../../shared/drift/rules/dns-policy.js";
import { gateway, one, pod } from "./base.js";

describe("dns-policy", () => {
  it("reports the default policy", () => {
    const result = one(dnsPolicyRule, gateway());
    expect(result.status).toBe("pass");
    expect(result.actual).toContain("ClusterFirst");
  });

  it("reports dnsPolicy Default", () => {
    const result = one(
      dnsPolicyRule,
      gateway((p) => (pod(p).dnsPolicy = "Default")),
    );
    expect(result).toMatchObject({ status: "pass", path: "spec.template.spec.dnsPolicy" });
    expect(result.actual).toContain("Default");
  });

  it("passes None with nameservers", () => {
    const bundle = gateway((p) => {
      pod(p).dnsPolicy = "None";
      pod(p).dnsConfig = { nameservers: ["10.0.0.10"] };
    });
    expect(one(dnsPolicyRule, bundle).status).toBe("pass");
  });

  it("warns on None without nameservers", () => {
    const bundle = gateway((p) => {
      pod(p).dnsPolicy = "None";
      pod(p).dnsConfig = { searches: ["svc.cluster.local"] };
    });
    const result = one(dnsPolicyRule, bundle);
    expect(result).toMatchObject({
      status: "fail",
      severity: "warning",
      path: "spec.template.spec.dnsPolicy",
    });
    expect(result.line).toBeGreaterThan(0);
  });
});
