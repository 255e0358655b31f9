import { describe, expect, it } from "vitest";
import type { Report } from "../../shared/drift/types.js";
import type { DeploymentStatusView, GatewayStatusView } from "../../shared/live/status.js";
import { fleetView, renderFleetPage } from "../../shared/report/index.js";
import { outcomeOf, urgencyOf } from "../../shared/report/model.js";

const now = new Date("2026-12-01T00:00:00Z");

function deployment(overrides: Partial<DeploymentStatusView> = {}): DeploymentStatusView {
  return {
    target: "aks/gw/gateway",
    hasToken: true,
    keyType: "primary",
    expiresInDays: 20,
    inSync: true,
    rolloutPending: false,
    vaultVersion: "v2",
    rotatedAt: new Date("2026-11-20T00:00:00Z"),
    pods: { ready: 2, onCurrentToken: 2, stale: [] },
    ...overrides,
  };
}

function gateway(name: string, deployments: DeploymentStatusView[]): GatewayStatusView {
  return {
    gateway: name,
    apim: { subscriptionId: "s", resourceGroup: "rg", service: "apim", gatewayId: name },
    renewBeforeInDays: 7,
    vault: {
      secretName: `${name}-token`,
      exists: true,
      version: "v2",
      createdOn: new Date("2026-11-28T00:00:00Z"),
    },
    decision: "fresh",
    action: "none",
    reason: "fresh",
    deployments,
  };
}

describe("urgencyOf", () => {
  it("bands days left by the thresholds: over renew-before, under it, under 2 days, expired", () => {
    expect(urgencyOf(7.01, 7)).toBe("fresh");
    expect(urgencyOf(7, 7)).toBe("expiring");
    expect(urgencyOf(2, 7)).toBe("expiring");
    expect(urgencyOf(1.99, 7)).toBe("critical");
    expect(urgencyOf(0, 7)).toBe("expired");
    expect(urgencyOf(-3, 7)).toBe("expired");
    expect(urgencyOf(undefined, 7)).toBe("unknown");
    expect(urgencyOf(10, 14)).toBe("expiring");
  });
});

describe("outcomeOf", () => {
  const vault = gateway("a", []).vault;
  it.each([
    ["completed", {}],
    ["rollout not confirmed", { rolloutPending: true }],
    ["not delivered", { inSync: false }],
    ["changed by hand", { inSync: false, rotatedAt: undefined }],
    ["in sync, not recorded", { rotatedAt: undefined }],
    ["recorded", { inSync: null }],
    ["no token", { hasToken: false }],
    ["unknown", { error: "forbidden" }],
  ] as const)("%s", (label, overrides) => {
    expect(outcomeOf(vault, deployment(overrides)).label).toBe(label);
  });

  it("says never rotated when Key Vault has no token", () => {
    expect(outcomeOf({ ...vault, exists: false }, deployment({ inSync: false })).label).toBe("never rotated");
  });
});

describe("fleetView", () => {
  it("orders rows worst first and gateways by their worst row", () => {
    const view = fleetView(
      [
        { status: gateway("fresh", [deployment()]), reports: [undefined] },
        { status: gateway("drifted", [deployment({ inSync: false })]), reports: [undefined] },
        {
          status: gateway("mixed", [deployment({ expiresInDays: 5 }), deployment({ expiresInDays: 1 })]),
          reports: [undefined, undefined],
        },
        { status: gateway("gone", [deployment({ expiresInDays: -1 })]), reports: [undefined] },
      ],
      { now },
    );
    expect(view.rows.map((r) => [r.gateway, r.urgency])).toEqual([
      ["gone", "expired"],
      ["mixed", "critical"],
      ["mixed", "expiring"],
      ["drifted", "fresh"],
      ["fresh", "fresh"],
    ]);
    expect(view.gateways.map((g) => g.name)).toEqual(["gone", "mixed", "drifted", "fresh"]);
    expect(view.counts).toEqual({ expired: 1, critical: 1, expiring: 1, fresh: 2, unknown: 0 });
  });

  it("counts failing findings only, most severe first", () => {
    const finding = (rule: string, severity: "error" | "warning", status: "fail" | "pass") => ({
      rule,
      severity,
      status,
      object: "Deployment/gw/gateway",
      path: "spec",
      expected: "x",
      actual: "y",
      message: `${rule} message`,
      remediation: "",
      source: "seed",
    });
    const report = {
      findings: [
        finding("replicas", "warning", "fail"),
        finding("token-expiry", "error", "fail"),
        finding("namespace", "warning", "pass"),
      ],
    } as unknown as Report;
    const [row] = fleetView([{ status: gateway("a", [deployment()]), reports: [report] }], { now }).rows;
    expect(row.failing?.map((f) => f.rule)).toEqual(["token-expiry", "replicas"]);
    expect(row.worstSeverity).toBe("error");
  });
});

describe("renderFleetPage", () => {
  it("escapes every string it shows", () => {
    const hostile = '<script>alert("x")</script>';
    const view = fleetView(
      [
        {
          status: {
            ...gateway("a", [deployment({ error: hostile, target: `aks/${hostile}/gw` })]),
            vault: { secretName: hostile, exists: false, error: hostile },
            reason: hostile,
          },
          reports: [undefined],
        },
      ],
      { now },
    );
    const html = renderFleetPage(view, { toolVersion: hostile });
    expect(html).not.toContain("<script");
    expect(html).toContain("&lt;script&gt;");
  });
});
