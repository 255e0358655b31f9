/**
 * The central service in pull mode, over the stand-ins and Azurite with the real SDK clients: a
 * gateway with one pushed deployment (aks-east) and one pulled (edge-paris). The service mints,
 * stores and pushes; the agent delivers and reports; the timer drains the report queue into the book
 * (a blob); revocation waits for the report and completes in a later run; a silent agent raises
 * `agent.silent`; an untrusted report is ignored with its reason only.
 */
import { afterEach, describe, expect, it } from "vitest";
import { BlobServiceClient } from "@azure/storage-blob";
import { ReportBook } from "../../shared/agent/reports.js";
import { drainAgentReports } from "../../shared/app/reports.js";
import { enqueueScheduledRotations } from "../../shared/app/schedule.js";
import { createAppServices, type AppServices } from "../../shared/app/services.js";
import { readAppSettings } from "../../shared/config/appSettings.js";
import type { GuardConfig } from "../../shared/config/types.js";
import { reportBookLocation } from "../../shared/queue/reportBook.js";
import { BlobRotationLock } from "../../shared/queue/blobLock.js";
import { failure } from "../failure.js";
import { eventLogger } from "../../shared/app/log.js";
import { readFleet } from "../../shared/live/fleet.js";
import { fleetView } from "../../shared/report/index.js";
import { captureContext } from "../functions/helpers.js";
import { expectNoToken } from "../cli/capture.js";
import { agentOnce, startPullFleet, type PullFleet } from "./pullFleet.js";

let pull: PullFleet | undefined;

afterEach(async () => {
  await pull?.stop();
  pull = undefined;
});

async function serviceOf(p: PullFleet): Promise<{ services: AppServices; central: GuardConfig }> {
  const central = await p.central();
  const services = await createAppServices({
    settings: readAppSettings({
      AzureWebJobsStorage: p.fleet.azurite!.connectionString,
      ROTATION_SPREAD_IN_MINUTES: "0",
    }),
    config: async () => central,
    adapters: (config) => p.fleet.connect()(config),
  });
  return { services, central };
}

/** Requests the service (not the agent) made to the pulled cluster while `act` ran. */
async function pulledClusterCalls<T>(
  p: PullFleet,
  act: () => Promise<T>,
): Promise<{ result: T; calls: number }> {
  const before = p.deployment.standin.requests.length;
  const result = await act();
  return { result, calls: p.deployment.standin.requests.length - before };
}

describe("the central service with a pulled deployment", () => {
  it("pushes to one deployment, leaves the other to its agent, and revokes only once the agent reported", async () => {
    const p = (pull = await startPullFleet({ withPushed: true }));
    const { services, central } = await serviceOf(p);
    const [gateway] = central.gateways;
    const pushed = p.seeded.deployments[1];

    const { result: first, calls } = await pulledClusterCalls(p, () =>
      services.rotate(gateway, { force: true }),
    );
    expect(calls).toBe(0);
    expect(first.status).toBe("unrevoked");
    expect(first.reason).toContain(
      "revoke pending: waiting for reports from edge-paris/apim-gateway/edge-gateway",
    );
    expect(first.deployments).toEqual([
      expect.objectContaining({ target: "aks-east/apim/gateway", status: "rotated" }),
      {
        target: "pulled:edge-paris/apim-gateway/edge-gateway",
        status: "unchanged",
        reason: "delivered by the agent of edge-paris",
      },
    ]);
    const versions = p.fleet.keyVault.versions(p.seeded.vaultSecret);
    const [oldToken, newToken] = versions.map((v) => v.value);
    expect(p.fleet.secretToken(pushed)).toBe(newToken);
    expect(p.fleet.secretToken(p.deployment)).toBe(oldToken);

    const notYet = await services.rotate(gateway, {});
    expect(notYet).toMatchObject({ status: "fresh" });
    expect(notYet.revokedKeyType).toBeUndefined();

    expect((await agentOnce(p)).code).toBe(0);
    expect(p.fleet.secretToken(p.deployment)).toBe(newToken);

    const { context, log } = captureContext("rotationSchedule");
    await enqueueScheduledRotations(services, context);
    expect(log.events("agent.report-ignored")).toEqual([]);
    expect(log.events("agent.silent")).toEqual([]);
    const blob = BlobServiceClient.fromConnectionString(p.fleet.azurite!.connectionString)
      .getContainerClient(reportBookLocation.container)
      .getBlobClient(reportBookLocation.blob);
    const saved = JSON.parse((await blob.downloadToBuffer()).toString("utf8")) as { reports: unknown[] };
    expect(saved.reports).toEqual([
      expect.objectContaining({
        cluster: "edge-paris",
        vaultVersion: versions[1].version,
        outcome: "delivered",
      }),
    ]);

    const { result: fleet, calls: statusCalls } = await pulledClusterCalls(p, async () =>
      readFleet([gateway], await services.live(), { drift: true }),
    );
    expect(statusCalls).toBe(0);
    const pulledView = fleet[0].status.deployments[0];
    expect(pulledView).toMatchObject({
      target: "pulled:edge-paris/apim-gateway/edge-gateway",
      inSync: true,
      pulled: {
        cluster: "edge-paris",
        report: { vaultVersion: versions[1].version, current: true, outcome: "delivered", ageInMinutes: 0 },
      },
    });
    expect(fleet[0].status.deployments[1]).toMatchObject({ target: "aks-east/apim/gateway", inSync: true });
    expect(fleet[0].status.decision).toBe("fresh");
    const pulledRow = fleetView(fleet, { now: new Date() }).rows.find(
      (row) => row.target === pulledView.target,
    );
    expect(pulledRow).toMatchObject({
      keyType: "pulled",
      outcome: { label: "agent: delivered", tone: "ok" },
    });

    const { result: later, calls: laterCalls } = await pulledClusterCalls(p, () =>
      services.rotate(gateway, {}),
    );
    expect(laterCalls).toBe(0);
    expect(later).toMatchObject({ status: "fresh", revokedKeyType: "primary" });
    expect(later.reason).toContain("primary key regenerated");
    expect((await services.rotate(gateway, {})).revokedKeyType).toBeUndefined();
    expectNoToken(JSON.stringify([first, notYet, later]) + log.text(), [oldToken, newToken]);
  });

  it("locks a gateway whose deployments are all pulled with a blob lease, and mints and stores without calling its cluster", async () => {
    const p = (pull = await startPullFleet());
    const { services, central } = await serviceOf(p);
    const [gateway] = central.gateways;
    const container = BlobServiceClient.fromConnectionString(
      p.fleet.azurite!.connectionString,
    ).getContainerClient(reportBookLocation.container);
    await container.createIfNotExists();
    const other = new BlobRotationLock({ container: async () => container });
    const held = await other.tryAcquire(gateway, { ttlInMs: 90_000 });
    expect(held).toBeDefined();
    expect(await other.tryAcquire(gateway, { ttlInMs: 90_000 })).toBeUndefined();

    const locked = await failure(services.rotate(gateway, { force: true }));
    expect(locked).toMatchObject({ name: "LockHeldError" });
    await held?.release();

    const { result, calls } = await pulledClusterCalls(p, () => services.rotate(gateway, { force: true }));
    expect(calls).toBe(0);
    expect(result.status).toBe("unrevoked");
    expect(result.reason).toContain(
      "revoke pending: waiting for reports from edge-paris/apim-gateway/edge-gateway",
    );
    expect(p.fleet.keyVault.versions(p.seeded.vaultSecret)).toHaveLength(2);
    expect(await other.tryAcquire(gateway, { ttlInMs: 90_000 })).toBeDefined();
  });

  it("raises agent.silent for an agent that sent nothing while a newer version waits, and ignores a foreign report by its reason", async () => {
    const p = (pull = await startPullFleet());
    const { services, central } = await serviceOf(p);
    await p.centralMint();
    await p.queue.sendMessage(
      Buffer.from(
        JSON.stringify({
          v: 1,
          gateway: "edge",
          cluster: "edge-paris",
          namespace: "apim-gateway",
          deployment: "someone-else",
          outcome: "in-sync",
          vaultVersion: "abc",
          at: new Date().toISOString(),
        }),
      ).toString("base64"),
    );
    const { context, log } = captureContext("rotationSchedule");
    const adapters = await services.adapters();
    const drain = (inMinutes: number) =>
      drainAgentReports(central, {
        store: { load: async () => ({ book: new ReportBook() }), save: async () => true },
        queueFor: (cluster) => services.reportQueue(cluster),
        vaultFor: (gateway) => adapters.rotationDeps(gateway).vault,
        log: eventLogger(context),
        now: () => new Date(Date.now() + inMinutes * 60_000),
      });

    await drain(9);
    expect(log.events("agent.silent")).toEqual([]);
    const [ignored] = log.events("agent.report-ignored");
    expect(ignored).toEqual({
      cluster: "edge-paris",
      reason: expect.stringContaining("the configuration does not place that deployment"),
    });
    expect(log.text()).not.toContain('"vaultVersion"');

    await drain(11);
    expect(log.events("agent.silent")).toEqual([
      { gateway: "edge", cluster: "edge-paris", deployment: "apim-gateway/edge-gateway", lastReportAt: null },
    ]);
    expect(log.lines.find((l) => l.text.startsWith("agent.silent "))?.level).toBe("error");
  });
});
