/**
 * The central service reading a cluster's report queue (Azurite): a report counts only from the
 * queue of the cluster it names, for a deployment the configuration places there, newer than the
 * last one accepted, and naming Key Vault's current or previous version. Reports are untrusted input.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  decodeAgentReport,
  encodeAgentReport,
  maxReportBytes,
  type AgentReport,
} from "../../shared/agent/report.js";
import { ReportBook } from "../../shared/agent/reports.js";
import { runAgentPass } from "../../shared/agent/pass.js";
import { startPullFleet, type PullFleet } from "./pullFleet.js";

let pull: PullFleet | undefined;

afterEach(async () => {
  await pull?.stop();
  pull = undefined;
});

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

describe("reading agent reports", () => {
  it("ignores foreign, unplaced, stale and unknown-version reports, and accepts the agent's own", async () => {
    const p = (pull = await startPullFleet());
    const minted = await p.centralMint();
    const [previous] = p.fleet.keyVault.versions(p.seeded.vaultSecret);
    const pass = await runAgentPass(p.config, p.deps());
    expect(pass.ok).toBe(true);
    const [real] = pass.gateways[0].reports;

    const later = (minutes: number) => new Date(Date.parse(real.at) + minutes * 60_000).toISOString();
    const forged = (fields: Partial<AgentReport>) =>
      p.queue.sendMessage(base64(encodeAgentReport({ ...real, at: later(1), ...fields })));
    await forged({ cluster: "edge-berlin" });
    await forged({ gateway: "payments" });
    await forged({ deployment: "other-gateway" });
    await forged({ vaultVersion: "0123456789abcdef0123456789abcdef" });
    await forged({ at: later(60) });
    await p.queue.sendMessage(base64("not json"));
    await p.queue.sendMessage(base64(JSON.stringify({ ...real, token: "GatewayKey x" })));

    const book = new ReportBook();
    const read = await p.readReports(book);
    expect(read.accepted).toEqual([real]);
    expect(read.ignored.map((i) => i.reason)).toEqual([
      "report: expected base64 of a JSON object, got something else",
      "report: invalid (report)",
      "report for edge apim-gateway/edge-gateway names cluster edge-berlin but came from the queue of cluster edge-paris",
      "report for payments apim-gateway/edge-gateway: the configuration does not place that deployment of that gateway in cluster edge-paris",
      "report for edge apim-gateway/other-gateway: the configuration does not place that deployment of that gateway in cluster edge-paris",
      "report for edge apim-gateway/edge-gateway names Key Vault version 0123456789abcdef0123456789abcdef, neither the current nor the previous one",
      `report for edge apim-gateway/edge-gateway is dated in the future (${later(60)})`,
    ]);
    expect(book.latest(p.placement)).toEqual(real);
    expect((await p.queue.peekMessages()).peekedMessageItems).toEqual([]);

    await forged({ at: later(-1), outcome: "failed" });
    await forged({ at: later(2), vaultVersion: previous.version, outcome: "rolled-back" });
    const next = await p.readReports(book);
    expect(next.ignored.map((i) => i.reason)).toEqual([
      `report for edge apim-gateway/edge-gateway is stale: not newer than the report accepted at ${real.at}`,
    ]);
    expect(next.accepted).toEqual([
      expect.objectContaining({ vaultVersion: previous.version, outcome: "rolled-back" }),
    ]);
    expect(minted.version).not.toBe(previous.version);
  });
});

describe("a report on the wire", () => {
  const report: AgentReport = {
    v: 1,
    gateway: "edge",
    cluster: "edge-paris",
    namespace: "apim-gateway",
    deployment: "edge-gateway",
    vaultVersion: "0123456789abcdef0123456789abcdef",
    outcome: "delivered",
    at: "2026-01-02T03:04:05.000Z",
  };

  it("round-trips through base64 JSON", () => {
    expect(decodeAgentReport(base64(encodeAgentReport(report)))).toEqual(report);
  });

  it("refuses a message over the size bound before decoding it", () => {
    const big = base64(JSON.stringify({ ...report, reason: "x".repeat(maxReportBytes) }));
    expect(() => decodeAgentReport(big)).toThrow(`report: larger than ${maxReportBytes} bytes`);
  });

  it("names the invalid fields without echoing untrusted values", () => {
    const bad = { ...report, gateway: "Evil\u001b[31m", at: "yesterday", reason: "line\nbreak" };
    const error = (() => {
      try {
        decodeAgentReport(base64(JSON.stringify(bad)));
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toMatchObject({ name: "InputError", message: "report: invalid gateway, at, reason" });
  });

  it("cuts the agent's reason to one line of 500 characters", () => {
    const encoded = JSON.parse(
      encodeAgentReport({ ...report, reason: `a\nb${"c".repeat(600)}` }),
    ) as AgentReport;
    expect(encoded.reason).toHaveLength(500);
    expect(encoded.reason?.startsWith("a b")).toBe(true);
  });
});
