import { describe, expect, it } from "vitest";
import { findRule, rules } from "../../../shared/drift/rules/index.js";
import { gateway, run } from "./base.js";

const baselineIds = [
  "namespace",
  "replicas",
  "rollout-strategy",
  "rollout-limits-explicit",
  "resource-requests",
  "image-tag-pinned",
  "image-supported-major",
  "dns-policy",
  "config-backup",
  "config-backup-group",
  "local-telemetry",
  "log-level",
  "token-from-secret",
  "token-expiry",
  "token-in-sync",
  "pods-have-current-token",
  "readiness-probe",
  "liveness-probe",
  "graceful-shutdown",
  "sync-ports",
  "disruption-budget",
  "zone-spread",
  "autoscaling",
  "security-context",
  "no-readonly-rootfs",
  "tls-validation",
  "config-endpoint",
  "entra-auth",
];

describe("rule registry", () => {
  it("holds exactly baseline.md's rules in its order", () => {
    expect(rules.map((rule) => rule.id)).toEqual(baselineIds);
  });

  it("has baseline.md's default severities", () => {
    const severities = Object.fromEntries(rules.map((rule) => [rule.id, rule.severity]));
    expect(severities).toEqual({
      namespace: "warning",
      replicas: "error",
      "rollout-strategy": "warning",
      "rollout-limits-explicit": "warning",
      "resource-requests": "warning",
      "image-tag-pinned": "error",
      "image-supported-major": "error",
      "dns-policy": "info",
      "config-backup": "warning",
      "config-backup-group": "warning",
      "local-telemetry": "warning",
      "log-level": "info",
      "token-from-secret": "error",
      "token-expiry": "error",
      "token-in-sync": "error",
      "pods-have-current-token": "error",
      "readiness-probe": "warning",
      "liveness-probe": "info",
      "graceful-shutdown": "warning",
      "sync-ports": "warning",
      "disruption-budget": "warning",
      "zone-spread": "warning",
      autoscaling: "info",
      "security-context": "warning",
      "no-readonly-rootfs": "error",
      "tls-validation": "error",
      "config-endpoint": "error",
      "entra-auth": "info",
    });
  });

  it("gives every rule a title, rationale with source, remediation and a file of its own", () => {
    for (const rule of rules) {
      expect(rule.title, rule.id).not.toBe("");
      expect(rule.rationale, rule.id).toMatch(/\(.+\)\.?$/);
      expect(rule.source, rule.id).not.toBe("");
      expect(rule.remediation.trim(), rule.id).not.toBe("");
    }
  });

  it("marks exactly the three live rules as live", () => {
    expect(rules.filter((rule) => rule.live).map((rule) => rule.id)).toEqual([
      "token-expiry",
      "token-in-sync",
      "pods-have-current-token",
    ]);
  });

  it("finds rules by id and nothing else", () => {
    expect(findRule("replicas")?.id).toBe("replicas");
    expect(findRule("no-such-rule")).toBeUndefined();
  });

  it("passes every error and warning rule on the base gateway, with a line for each result", () => {
    const bundle = gateway();
    for (const rule of rules) {
      for (const result of run(rule, bundle)) {
        expect(result.status === "fail", `${rule.id}: ${result.message}`).toBe(false);
        expect(result.line, `${rule.id} line`).toBeGreaterThan(0);
        expect(result.path, `${rule.id} path`).not.toBe("");
      }
    }
  });
});
