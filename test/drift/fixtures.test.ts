import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkObjects } from "../../shared/drift/check.js";
import { parseManifest } from "../../shared/drift/load.js";
import { rules } from "../../shared/drift/rules/index.js";
import type { Finding, Report } from "../../shared/drift/types.js";

const now = new Date("2026-03-01T00:00:00Z");

function reportOf(path: string): Report {
  const objects = parseManifest(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8"), path);
  const { reports } = checkObjects(objects, rules, { now });
  expect(reports).toHaveLength(1);
  return reports[0];
}

/** The status of a rule: `fail` when any of its findings fails, else `unknown` when any is unknown, else `pass`. */
function statusOf(report: Report, rule: string): string {
  const findings = report.findings.filter((finding) => finding.rule === rule);
  expect(findings.length, rule).toBeGreaterThan(0);
  for (const status of ["fail", "unknown", "pass"]) {
    if (findings.some((finding) => finding.status === status)) return status;
  }
  return findings[0].status;
}

function expectStatuses(report: Report, expected: Record<string, string>): void {
  const actual = Object.fromEntries(Object.keys(expected).map((rule) => [rule, statusOf(report, rule)]));
  expect(actual).toEqual(expected);
}

const failing = (report: Report, rule: string): Finding | undefined =>
  report.findings.find((finding) => finding.rule === rule && finding.status === "fail");

const live = { "token-expiry": "unknown", "token-in-sync": "unknown", "pods-have-current-token": "unknown" };

describe("upstream fixtures", () => {
  it("portal YAML: fails replicas (error), the floating v2 tag, requests, namespace and backup", () => {
    const report = reportOf("test/fixtures/upstream/portal-generated-v2.yaml");
    expectStatuses(report, {
      namespace: "fail",
      replicas: "fail",
      "image-tag-pinned": "fail",
      "resource-requests": "fail",
      "config-backup": "fail",
      "rollout-strategy": "pass",
      "rollout-limits-explicit": "pass",
      "image-supported-major": "pass",
      "token-from-secret": "pass",
      "readiness-probe": "pass",
      "graceful-shutdown": "pass",
      "sync-ports": "pass",
      "config-endpoint": "pass",
      "tls-validation": "pass",
      "no-readonly-rootfs": "pass",
      "local-telemetry": "fail",
      "security-context": "fail",
      "zone-spread": "fail",
      "disruption-budget": "unknown",
      autoscaling: "unknown",
      ...live,
    });
    expect(failing(report, "replicas")).toMatchObject({
      severity: "error",
      actual: "1",
      line: 29,
      path: "spec.replicas",
    });
    expect(failing(report, "image-tag-pinned")).toMatchObject({
      actual: "mcr.microsoft.com/azure-api-management/gateway:v2",
      line: 46,
      file: "test/fixtures/upstream/portal-generated-v2.yaml",
    });
    expect(report.summary.bySeverity.error).toBe(2);
  });

  it("docs token-auth: the envFrom Secret passes token-from-secret; its token never appears", () => {
    const report = reportOf("test/fixtures/upstream/docs-token-auth.yaml");
    expectStatuses(report, {
      namespace: "pass",
      replicas: "fail",
      "rollout-strategy": "pass",
      "rollout-limits-explicit": "fail",
      "resource-requests": "pass",
      "image-tag-pinned": "fail",
      "image-supported-major": "pass",
      "config-backup": "fail",
      "local-telemetry": "fail",
      "log-level": "fail",
      "token-from-secret": "pass",
      "readiness-probe": "pass",
      "liveness-probe": "fail",
      "graceful-shutdown": "fail",
      "security-context": "fail",
      "config-endpoint": "pass",
      "entra-auth": "pass",
      ...live,
    });
    expect(failing(report, "log-level")?.actual).toBe("info");
    expect(JSON.stringify(report)).not.toContain("<configuration-token>");
  });

  it("docs workload identity: no token, so the token rules pass", () => {
    const report = reportOf("test/fixtures/upstream/docs-workload-identity.yaml");
    expectStatuses(report, {
      replicas: "fail",
      "image-tag-pinned": "fail",
      "resource-requests": "pass",
      "readiness-probe": "pass",
      "token-from-secret": "pass",
      "token-expiry": "pass",
      "token-in-sync": "pass",
      "pods-have-current-token": "pass",
      "entra-auth": "pass",
      "config-endpoint": "pass",
    });
    expect(report.findings.find((finding) => finding.rule === "entra-auth")?.actual).toBe("workloadIdentity");
  });

  it("configuration-backup example: the PVC passes, fsGroup, latest, sync and the placeholder endpoint fail", () => {
    const report = reportOf("test/fixtures/upstream/example-configuration-backup.yaml");
    expectStatuses(report, {
      namespace: "fail",
      replicas: "fail",
      "config-backup": "pass",
      "config-backup-group": "fail",
      "image-tag-pinned": "fail",
      "image-supported-major": "unknown",
      "dns-policy": "pass",
      "token-from-secret": "pass",
      "readiness-probe": "fail",
      "graceful-shutdown": "fail",
      "sync-ports": "fail",
      "config-endpoint": "fail",
      ...live,
    });
    expect(failing(report, "replicas")?.severity).toBe("warning");
    expect(failing(report, "image-tag-pinned")?.actual).toContain(":latest");
    expect(failing(report, "config-endpoint")?.actual).toBe("paste URL here");
    expect(JSON.stringify(report)).not.toContain("paste token here");
  });

  it("gives every finding of every fixture a line in its file", () => {
    for (const file of [
      "portal-generated-v2",
      "docs-token-auth",
      "docs-workload-identity",
      "example-configuration-backup",
    ]) {
      for (const finding of reportOf(`test/fixtures/upstream/${file}.yaml`).findings) {
        expect(finding.line, `${file} ${finding.rule}`).toBeGreaterThan(0);
        expect(finding.file).toBe(`test/fixtures/upstream/${file}.yaml`);
      }
    }
  });
});

describe("infra/k8s/gateway.yaml", () => {
  it("has no failing error or warning finding", () => {
    const report = reportOf("infra/k8s/gateway.yaml");
    const failures = report.findings.filter((finding) => finding.status === "fail");
    expect(failures.map((finding) => `${finding.rule}: ${finding.message}`)).toEqual([]);
    expect(report.summary.bySeverity).toEqual({ error: 0, warning: 0, info: 0 });
  });

  it("leaves only the live token rules unknown", () => {
    const report = reportOf("infra/k8s/gateway.yaml");
    const unknown = report.findings
      .filter((finding) => finding.status === "unknown")
      .map((finding) => finding.rule);
    expect(unknown).toEqual(["token-expiry", "token-in-sync", "pods-have-current-token"]);
  });
});
