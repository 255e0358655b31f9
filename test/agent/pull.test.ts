/**
 * Pull mode end to end over the stand-ins and Azurite: the central service mints and stores, the
 * agent (`gateway-guard agent --once`, real adapters) delivers through the rotation engine and
 * reports on its cluster's queue, the central service reads and judges the reports.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ReportBook } from "../../shared/agent/reports.js";
import type { AgentReport } from "../../shared/agent/report.js";
import type { AgentDeps } from "../../shared/agent/pass.js";
import { expectNoToken } from "../cli/capture.js";
import { agentOnce, startPullFleet, type PullFleet } from "./pullFleet.js";

let pull: PullFleet | undefined;

afterEach(async () => {
  await pull?.stop();
  pull = undefined;
});

/** Cluster writes (patches, creates, updates) other than the agent's Lease. */
function clusterWrites(p: PullFleet): string[] {
  return p.deployment.standin.requests
    .filter((r) => r.method !== "GET" && r.resource !== "leases" && !r.dryRun)
    .map((r) => `${r.method} ${r.path}`);
}

/** Records every call the engine makes to the agent's issuer. */
function issuerSpy() {
  const calls: string[] = [];
  const wrap = (deps: AgentDeps): AgentDeps => ({
    ...deps,
    rotationDeps(gateway) {
      const inner = deps.rotationDeps(gateway);
      const { mint, revoke, identifyKey } = inner.issuer;
      return {
        ...inner,
        issuer: {
          mint: (...args) => (calls.push("mint"), mint(...args)),
          revoke: (...args) => (calls.push("revoke"), revoke(...args)),
          identifyKey: (...args) => (calls.push("identifyKey"), identifyKey(...args)),
        },
      };
    },
  });
  return { calls, wrap };
}

async function queued(p: PullFleet): Promise<AgentReport[]> {
  const { peekedMessageItems } = await p.queue.peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8")));
}

describe("gateway-guard agent over the stand-ins", () => {
  it("delivers what the central service minted, reports it, and the central service accepts the report", async () => {
    const p = (pull = await startPullFleet());
    const minted = await p.centralMint();
    const issuer = issuerSpy();

    const first = await agentOnce(p, issuer.wrap);
    expect(first.code).toBe(0);
    expect(issuer.calls).toEqual([]);
    expect(first.stdout).toContain("edge: delivered");
    expect(p.fleet.secretToken(p.deployment)).toBe(p.fleet.keyVault.versions(p.seeded.vaultSecret)[1].value);
    const pods = p.deployment.standin.podTokens(p.deployment.namespace, p.deployment.deployment);
    for (const pod of pods)
      expect(Object.values(pod.env)).toEqual([`GatewayKey ${p.fleet.secretToken(p.deployment)}`]);

    const book = new ReportBook();
    const read = await p.readReports(book);
    expect(read.ignored).toEqual([]);
    expect(read.accepted).toEqual([
      expect.objectContaining({
        gateway: "edge",
        cluster: "edge-paris",
        namespace: "apim-gateway",
        deployment: "edge-gateway",
        vaultVersion: minted.version,
        outcome: "delivered",
      }),
    ]);

    const second = await agentOnce(p);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("edge: in-sync");
    expect((await p.readReports(book)).accepted).toEqual([
      expect.objectContaining({ outcome: "in-sync", vaultVersion: minted.version }),
    ]);
    expectNoToken(first.output + second.output + JSON.stringify(book.all()), p.fleet.tokens());
  });

  it("leaves a fresh, in-sync gateway alone: no ARM call, no Key Vault write, no cluster write", async () => {
    const p = (pull = await startPullFleet());
    const armCalls = p.fleet.arm.calls.length;
    const issuer = issuerSpy();
    const result = await agentOnce(p, issuer.wrap);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("edge: in-sync");
    expect(issuer.calls).toEqual([]);
    expect(p.fleet.arm.calls.length).toBe(armCalls);
    expect(p.fleet.keyVault.calls.filter((c) => c.operation !== "get")).toEqual([]);
    expect(clusterWrites(p)).toEqual([]);
    expect(await queued(p)).toEqual([expect.objectContaining({ outcome: "in-sync" })]);
  });

  it("Key Vault 403: a clear error naming the permission, a failed report, nothing changed in the cluster", async () => {
    const p = (pull = await startPullFleet());
    await p.centralMint();
    p.fleet.keyVault.failNext({ status: 403, count: Infinity, method: "GET" });
    const result = await agentOnce(p);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /edge: failed: PermissionDeniedError: Permission denied: get of secret "edge-gateway-token"/,
    );
    expect(result.stdout).toContain("Key Vault Secrets User");
    expect(result.output).not.toMatch(/\n\s+at /);
    expect(clusterWrites(p)).toEqual([]);
    expect(p.fleet.secretToken(p.deployment)).toBe(p.fleet.keyVault.versions(p.seeded.vaultSecret)[0].value);
    const [report] = await queued(p);
    expect(report).toMatchObject({ outcome: "failed" });
    expect(report.vaultVersion).toBeUndefined();
    expect(report.reason).toContain("Permission denied");
  });

  it("a stalled rollout is rolled back to the previous token and reported as rolled-back", async () => {
    const p = (pull = await startPullFleet({ progressDeadlineInMs: 150 }));
    const before = p.fleet.secretToken(p.deployment);
    const minted = await p.centralMint();
    p.deployment.standin.stallRollouts(p.deployment.namespace, p.deployment.deployment);

    const result = await agentOnce(p);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("edge: rolled-back");
    expect(p.fleet.secretToken(p.deployment)).toBe(before);
    const book = new ReportBook();
    const read = await p.readReports(book);
    expect(read.accepted).toEqual([
      expect.objectContaining({ outcome: "rolled-back", vaultVersion: minted.version }),
    ]);
    expect(read.accepted[0].reason).toMatch(/previous token restored/);
  });

  it("does not mint: when Key Vault's token expires within the hour it says the central service mints, and changes nothing", async () => {
    const p = (pull = await startPullFleet());
    await p.centralMint(30 * 60_000);
    const armCalls = p.fleet.arm.calls.length;
    const issuer = issuerSpy();
    const result = await agentOnce(p, issuer.wrap);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `the agent does not mint: Key Vault's token for gateway "edge" is missing or expires within the hour; the central service mints it`,
    );
    expect(issuer.calls).toEqual(["mint"]);
    expect(p.fleet.arm.calls.length).toBe(armCalls);
    expect(p.fleet.keyVault.versions(p.seeded.vaultSecret)).toHaveLength(2);
    expect(clusterWrites(p)).toEqual([]);
  });
});
