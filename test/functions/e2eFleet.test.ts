/**
 * The whole app on the local stand-ins: Azurite queues, the ARM, Key Vault and Kubernetes
 * stand-ins, the real adapters. A webhook event becomes a message, the worker (driven as the host
 * would) rotates the gateway for real, and the live drift endpoint reads the result. No token ever
 * appears in a response or a log line.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpRequest } from "@azure/functions";
import { gatewayResourceId } from "../../shared/webhook/resolve.js";
import { startFleet, type Fleet } from "../standins/fleet.js";
import { captureContext } from "./helpers.js";
import { appOnFleet, loadFunctions, type QueueHost, type Handler } from "./hostDriver.js";

let fleet: Fleet;
let host: QueueHost;
let restore: (() => void) | undefined;
const output: string[] = [];
let handlers: Record<string, Handler>;

beforeAll(async () => {
  handlers = await loadFunctions();
  fleet = await startFleet({ azurite: true, rolloutStepInMs: 10 });
  ({ host, restore } = await appOnFleet(fleet));
}, 120_000);

afterAll(async () => {
  restore?.();
  const tokens = fleet ? fleet.tokens() : [];
  await fleet?.stop();
  expect(tokens.length).toBeGreaterThan(0);
  const everything = [...output, ...host.invocations.flatMap((i) => i.logs.map((l) => l.text))].join("\n");
  for (const token of tokens)
    expect(everything.includes(token), "a token appeared in the output").toBe(false);
});

async function http(name: string, request: HttpRequest) {
  const { context, log } = captureContext(name);
  const response = (await handlers[name]!(request as never, context as never)) as {
    status: number;
    jsonBody?: Record<string, unknown>;
    body?: string;
  };
  output.push(JSON.stringify(response), log.text());
  return response;
}

describe("Functions app on the stand-ins", () => {
  it("an APIM GatewayTokenNearExpiry event → queue → worker → the gateway is rotated in every cluster", async () => {
    const orders = fleet.gateways.find((g) => g.name === "orders")!;
    const before = orders.deployments.map((d) => fleet.secretToken(d));
    const event = [
      {
        id: "evt-orders-1",
        eventType: "Microsoft.ApiManagement.GatewayTokenNearExpiry",
        topic: `/subscriptions/${orders.apim.subscriptionId}/resourceGroups/${orders.apim.resourceGroup}/providers/Microsoft.ApiManagement/service/${orders.apim.service}`,
        subject: `/gateways/${orders.apim.gatewayId}/instances/pod-1`,
        data: {
          gatewayInfo: {
            gatewayId: gatewayResourceId({ apim: orders.apim } as never).toUpperCase(),
          },
          tokenInfo: { expiresAtUtc: new Date(Date.now() + 4 * 86_400_000).toISOString() },
        },
        eventTime: new Date().toISOString(),
      },
    ];
    const body = JSON.stringify(event);
    const post = () =>
      new HttpRequest({ method: "POST", url: "http://localhost/api/rotations", body: { string: body } });
    const accepted = await http("rotationWebhook", post());
    expect(accepted.status).toBe(202);
    expect((await http("rotationWebhook", post())).jsonBody?.accepted).toEqual([
      expect.objectContaining({ gateway: "orders", duplicate: true }),
    ]);

    await host.drain(90_000);
    const worker = host.invocations.filter((i) => i.functionName === "rotationWorker");
    expect(worker.map((i) => i.succeeded)).toEqual([true]);
    const completed = worker[0]!.logs.find((l) => l.text.startsWith("rotation.completed "));
    expect(JSON.parse(completed!.text.slice("rotation.completed ".length))).toMatchObject({
      gateway: "orders",
      status: "rotated",
      keyType: "secondary",
    });

    const after = orders.deployments.map((d) => fleet.secretToken(d));
    expect(after[0]).toBeDefined();
    expect(after[0]).toBe(after[1]);
    expect(after[0]).not.toBe(before[0]);
    expect(fleet.arm.isValid(after[0]!)).toMatchObject({ valid: true, keyType: "secondary" });
  });

  it("GET /api/drift/{gateway} runs the live check against the clusters", async () => {
    const response = await http(
      "driftCheck",
      new HttpRequest({
        method: "GET",
        url: "http://localhost/api/drift/orders",
        params: { gateway: "orders" },
      }),
    );
    expect(response.status).toBe(200);
    const result = JSON.parse(response.body!) as {
      reports: Array<{ findings: Array<{ rule: string; status: string }> }>;
    };
    expect(result.reports).toHaveLength(2);
    for (const report of result.reports) {
      expect(report.findings).toContainEqual(
        expect.objectContaining({ rule: "token-expiry", status: "pass" }),
      );
      expect(report.findings).toContainEqual(
        expect.objectContaining({ rule: "token-in-sync", status: "pass" }),
      );
    }
  });

  it("the timer enqueues both gateways; the worker finds them fresh and changes nothing", async () => {
    const tokens = fleet.gateways.flatMap((g) => g.deployments.map((d) => fleet.secretToken(d)));
    host.invocations.length = 0;
    const { context } = captureContext("rotationSchedule");
    await handlers.rotationSchedule!({ isPastDue: false } as never, context as never);
    await host.drain(90_000);
    const statuses = host.invocations
      .filter((i) => i.functionName === "rotationWorker")
      .map((i) => {
        const line = i.logs.find((l) => l.text.startsWith("rotation.completed "))!;
        output.push(line.text);
        return JSON.parse(line.text.slice("rotation.completed ".length)) as {
          gateway: string;
          status: string;
        };
      })
      .map((e) => `${e.gateway}: ${e.status}`)
      .sort();
    expect(statuses).toEqual(["orders: fresh", "payments: fresh"]);
    expect(fleet.gateways.flatMap((g) => g.deployments.map((d) => fleet.secretToken(d)))).toEqual(tokens);
  });
});
