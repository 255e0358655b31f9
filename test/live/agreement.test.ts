/**
 * `status` and `check --config` tell one truth about pods and sync (issue 7, section 7), over the
 * stand-ins with the real SDK clients: the same answer for a hand-edited Secret, in sync unknown
 * when Key Vault cannot be read, and one read of each deployment.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkConfigured } from "../../shared/cli/liveCheck.js";
import { runWith as status } from "../../shared/cli/commands/status.js";
import type { GatewayStatusView } from "../../shared/live/status.js";
import type { Finding } from "../../shared/drift/types.js";
import { startFleet, type Fleet } from "../standins/fleet.js";
import { captureIO, expectNoToken, tableRow } from "../cli/capture.js";

let fleet: Fleet;

beforeAll(async () => {
  fleet = await startFleet({
    gateways: [
      {
        name: "edge",
        keyType: "primary",
        expiresInDays: 20,
        deployments: [
          { cluster: 0, namespace: "edge", deployment: "edge-gateway", layout: "portal", replicas: 2 },
          { cluster: 1, namespace: "edge", deployment: "edge-gateway", layout: "helm", replicas: 2 },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await fleet?.stop();
});

async function statusOf(...args: string[]) {
  const out = captureIO();
  const code = await status([...args, "--config", fleet.configPath], out.io, fleet.connect());
  return { code, stdout: out.stdout(), stderr: out.stderr() };
}

async function statusJson(): Promise<GatewayStatusView> {
  const { code, stdout } = await statusOf("--format", "json");
  expect(code).toBe(0);
  return (JSON.parse(stdout) as { gateways: GatewayStatusView[] }).gateways[0];
}

async function podsFinding(cluster: string): Promise<Finding> {
  const result = await checkConfigured(
    captureIO().io,
    { config: fleet.configPath, names: [] },
    fleet.connect(),
  );
  const report = result.reports.find((r) => r.target.includes(`cluster ${cluster},`));
  const finding = report?.findings.find((f) => f.rule === "pods-have-current-token");
  if (!finding) throw new Error(`no pods-have-current-token finding for ${cluster}`);
  return finding;
}

describe("status and check --config agree", () => {
  it("on a hand-edited Secret with a stale rotated-at: 0/2 pods on the current token in both", async () => {
    const east = fleet.gateways[0].deployments[0];
    const original = fleet.secretToken(east);
    if (!original) throw new Error("seeded Secret has no token");
    expect((await podsFinding("aks-east")).status, "before the edit").toBe("pass");
    await fleet.tamperSecret(east, "edge-gw&203001010000&aGFuZC1lZGl0ZWQ=");
    try {
      const view = await statusJson();
      expect(view.deployments[0]).toMatchObject({ inSync: false, pods: { ready: 2, onCurrentToken: 0 } });
      expect(view.deployments[0].rotatedAt, "the stale annotation does not count").toBeUndefined();
      expect(view.deployments[1]).toMatchObject({ inSync: true, pods: { ready: 2, onCurrentToken: 2 } });

      const finding = await podsFinding("aks-east");
      expect(finding.status).toBe("fail");
      expect(finding.actual).toMatch(/^0 of 2 ready pods on Key Vault's token/);
      expect((await podsFinding("aks-west")).status).toBe("pass");

      const table = await statusOf();
      expect(tableRow(table.stdout, "aks-east/edge/edge-gateway")[4]).toBe("0/2");
      expectNoToken(JSON.stringify(view) + table.stdout + finding.actual + finding.message, fleet.tokens());
    } finally {
      await fleet.tamperSecret(east, original);
    }
  });

  it("shows in sync as unknown (? and null), not NO, when Key Vault answers 403", async () => {
    fleet.keyVault.failNext({ status: 403, path: "/secrets/edge-gateway-token" });
    const table = await statusOf();
    expect(table.code).toBe(1);
    expect(table.stdout).toContain("Key Vault secret edge-gateway-token: cannot read");
    for (const target of ["aks-east/edge/edge-gateway", "aks-west/edge/edge-gateway"]) {
      const [, key, , inSync, pods] = tableRow(table.stdout, target);
      expect([key, inSync, pods]).toEqual(["primary", "?", "2/2"]);
    }

    fleet.keyVault.failNext({ status: 403, path: "/secrets/edge-gateway-token" });
    const out = await statusOf("--format", "json");
    expect(out.code).toBe(1);
    const view = (JSON.parse(out.stdout) as { gateways: GatewayStatusView[] }).gateways[0];
    expect(view.vault.error).toMatch(/403|Forbidden|getSecret/);
    expect(view.deployments.map((d) => d.inSync)).toEqual([null, null]);
    expect(out.stdout).toMatch(/"inSync": null/);
  });

  it("reads each deployment once", async () => {
    const marks = fleet.clusters.map((cluster) => cluster.requests.length);
    expect((await statusOf()).code).toBe(0);
    fleet.clusters.forEach((cluster, i) => {
      const requests = cluster.requests.slice(marks[i]).filter((r) => r.method === "GET");
      const reads = (suffix: string) => requests.filter((r) => r.path.split("?")[0].endsWith(suffix)).length;
      expect(reads("/deployments/edge-gateway"), `Deployment reads in cluster ${i}`).toBe(1);
      expect(
        reads(`/secrets/${fleet.gateways[0].deployments[i].secretName}`),
        `Secret reads in cluster ${i}`,
      ).toBe(1);
    });
  });
});
