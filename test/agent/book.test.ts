/** The book of agent reports in a blob (Azurite): conditional writes, and a lost race merged, not lost. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobServiceClient } from "@azure/storage-blob";
import type { AgentReport } from "../../shared/agent/report.js";
import type { ReportBook } from "../../shared/agent/reports.js";
import { drainAgentReports } from "../../shared/app/reports.js";
import { BlobReportBookStore, reportBookLocation } from "../../shared/queue/reportBook.js";
import type { GuardConfig } from "../../shared/config/types.js";
import { CaptureLogger, FakeClock, FakeVault, gatewayConfig } from "../rotation/fakes.js";
import { startAzurite, type RunningAzurite } from "../standins/azurite.js";

let azurite: RunningAzurite;

beforeAll(async () => {
  azurite = await startAzurite();
}, 60_000);

afterAll(async () => {
  await azurite?.stop();
});

function report(deployment: string, at: string): AgentReport {
  return {
    v: 1,
    gateway: "gw1",
    cluster: "onprem",
    namespace: "apim",
    deployment,
    outcome: "in-sync",
    at,
    vaultVersion: "v1",
  };
}

function deploymentsOf(book: ReportBook): string[] {
  return book
    .all()
    .map((r) => r.deployment)
    .sort();
}

async function deploymentsIn(store: BlobReportBookStore): Promise<string[]> {
  return deploymentsOf((await store.load()).book);
}

async function freshStore(name: string): Promise<BlobReportBookStore> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);
  await container.createIfNotExists();
  return new BlobReportBookStore(async () => container);
}

describe("the book of reports in a blob", () => {
  it("writes only over the version it read: a second writer's save is refused, then succeeds after a reload", async () => {
    const store = await freshStore("book-race");
    const first = await store.load();
    const second = await store.load();
    expect(first.etag).toBeUndefined();
    first.book.record(report("a", "2026-01-01T00:00:00.000Z"));
    second.book.record(report("b", "2026-01-01T00:00:00.000Z"));
    expect(await store.save(first)).toBe(true);
    expect(await store.save(second)).toBe(false);
    const again = await store.load();
    expect(deploymentsOf(again.book)).toEqual(["a"]);
    again.book.record(report("b", "2026-01-01T00:00:00.000Z"));
    expect(await store.save(again)).toBe(true);
    expect(await deploymentsIn(store)).toEqual(["a", "b"]);
  });

  it("drainAgentReports merges what another instance saved meanwhile instead of losing it", async () => {
    const store = await freshStore(reportBookLocation.container);
    const clock = new FakeClock();
    const vault = new FakeVault(clock);
    const stored = vault.put("gw1-token", { token: "gw1&203001010000&c2ln", keyType: "primary" });
    const pulled = (deployment: string) => ({
      cluster: { type: "pulled" as const, name: "onprem", agentIntervalInMinutes: 5 },
      namespace: "apim",
      deployment,
    });
    const config: GuardConfig = { gateways: [gatewayConfig({ deployments: [pulled("a"), pulled("b")] })] };
    const at = clock.now().toISOString();
    const mine = { ...report("a", at), vaultVersion: stored.version };
    const theirs = { ...report("b", at), vaultVersion: stored.version };
    const racing: BlobReportBookStore = Object.assign(Object.create(store) as BlobReportBookStore, {
      load: async () => {
        const loaded = await store.load();
        const other = await store.load();
        other.book.record(theirs);
        await store.save(other);
        racing.load = () => store.load();
        return loaded;
      },
      save: (loaded: Parameters<BlobReportBookStore["save"]>[0]) => store.save(loaded),
    });
    const queue = {
      name: "gateway-guard-reports-onprem",
      messages: [
        {
          messageId: "1",
          popReceipt: "r",
          messageText: Buffer.from(JSON.stringify(mine)).toString("base64"),
        },
      ],
      async receiveMessages() {
        const receivedMessageItems = this.messages;
        this.messages = [];
        return { receivedMessageItems };
      },
      async deleteMessage() {},
    };
    const book = await drainAgentReports(config, {
      store: racing,
      queueFor: async () => queue,
      vaultFor: () => vault,
      log: new CaptureLogger(),
      now: clock.now,
    });
    expect(deploymentsOf(book)).toEqual(["a", "b"]);
    expect(await deploymentsIn(store)).toEqual(["a", "b"]);
  });
});
