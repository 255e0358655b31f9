/**
 * `GET /api/drift` asking for HTML without a gateway answers the fleet page, read through the real
 * adapters over the stand-ins; with a gateway, or asking for JSON, the drift report as before.
 */
import { HttpRequest } from "@azure/functions";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { driftCheck } from "../../functions/driftCheck.cjs";
import { useAppServices } from "../../shared/app/services.js";
import { startFleet, type Fleet } from "../standins/fleet.js";
import { expectNoToken } from "../cli/capture.js";
import { captureContext, testServices } from "../functions/helpers.js";

let fleet: Fleet;
let restore: (() => void) | undefined;

beforeAll(async () => {
  fleet = await startFleet();
  const config = await fleet.loadConfig();
  const { services } = await testServices({ config: async () => config, adapters: fleet.connect() });
  restore = useAppServices(services);
});

afterAll(async () => {
  restore?.();
  await fleet?.stop();
});

afterEach(() => fleet.keyVault.clearFaults());

async function get(path: string, headers: Record<string, string> = {}, gateway?: string) {
  const { context, log } = captureContext("driftCheck");
  const request = new HttpRequest({
    method: "GET",
    url: `http://localhost:7071/api/${path}`,
    headers,
    params: gateway ? { gateway } : {},
  });
  const response = await driftCheck(request, context);
  return {
    response,
    body: String(response.body ?? ""),
    log,
    headers: (response.headers ?? {}) as Record<string, string>,
  };
}

describe("GET /api/drift as HTML", () => {
  it.each([
    ["Accept: text/html", "drift", { accept: "text/html,application/xhtml+xml;q=0.9" }],
    ["?format=html", "drift?format=html", {}],
  ])("answers the fleet page for %s", async (_how, path, headers) => {
    const { response, body, headers: out, log } = await get(path, headers);
    expect(response.status).toBe(200);
    expect(out["Content-Type"]).toBe("text/html; charset=utf-8");
    expect(out["Content-Security-Policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(body).toContain("<h1>Gateway fleet</h1>");
    const gateways = [...body.matchAll(/<tr class="row[^"]*" data-gateway="([^"]+)"/g)].map((m) => m[1]);
    expect(gateways, "worst first: orders expires in 4 days").toEqual(["orders", "orders", "payments"]);
    expect(log.events("drift.fleet-page")).toEqual([{ gateways: 2, deployments: 3 }]);
    expectNoToken(body + log.text(), fleet.tokens());
  });

  it("keeps the per-deployment drift report for one gateway, and JSON for every gateway", async () => {
    const one = await get("drift/payments?format=html", {}, "payments");
    expect(one.response.status).toBe(200);
    expect(one.body).toContain("<h1>gateway-guard report</h1>");
    const all = await get("drift", { accept: "application/json" });
    expect(JSON.parse(all.body).reports).toHaveLength(3);
  });

  it("shows what it could not read instead of failing: in sync unknown when Key Vault answers 403", async () => {
    fleet.keyVault.failNext({ status: 403, path: "/secrets/payments-gateway-token" });
    const { response, body } = await get("drift?format=html");
    expect(response.status).toBe(200);
    const payments = /<tr class="row[^"]*" data-gateway="payments"[^>]*>(.*?)<\/tr>/s.exec(body)?.[1] ?? "";
    expect(payments).toMatch(/data-label="In sync"><div><span class="muted" title="unknown">\?<\/span>/);
    expect(body).toContain("Key Vault: ");
  });
});
