import { afterEach, describe, expect, it } from "vitest";
import { HttpRequest, type HttpResponseInit } from "@azure/functions";
import { rotationWebhook } from "../../functions/rotationWebhook.cjs";
import { useAppServices } from "../../shared/app/services.js";
import { captureContext, MemoryQueueClient, testServices, webhookFixtures } from "./helpers.js";

const fixtures = webhookFixtures();
let restore: (() => void) | undefined;
afterEach(() => restore?.());

async function setUp(options: Parameters<typeof testServices>[0] = {}) {
  const { services, queue } = await testServices(options);
  restore = useAppServices(services);
  return { services, queue };
}

function post(body: string, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({
    method: "POST",
    url: "http://localhost:7071/api/rotations",
    headers: { "content-type": "application/json", ...headers },
    body: { string: body },
  });
}

async function call(request: HttpRequest) {
  const { context, log } = captureContext("rotationWebhook");
  const response: HttpResponseInit = await rotationWebhook(request, context);
  return { response, log, body: response.jsonBody as Record<string, unknown> };
}

describe("rotationWebhook", () => {
  it("answers the Event Grid validation with 200 and the code, enqueueing nothing", async () => {
    const { queue } = await setUp();
    const { response, body } = await call(
      post(fixtures["eventgrid-subscription-validation.json"]!, {
        "aeg-event-type": "SubscriptionValidation",
      }),
    );
    expect(response.status).toBe(200);
    expect(body).toEqual({ validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" });
    expect(queue.sent).toEqual([]);
  });

  it.each([
    ["eventgrid-keyvault-secret-near-expiry.json", "webhook", false],
    ["cloudevents-keyvault-secret-near-expiry.json", "webhook", false],
    ["eventgrid-apim-gateway-token-near-expiry.json", "webhook", false],
    ["azure-monitor-common-alert-fired.json", "webhook", false],
    ["manual-rotate.json", "manual", true],
  ])("enqueues contoso-eu for %s and answers 202 with the request id", async (name, reason, force) => {
    const { queue } = await setUp();
    const { response, body, log } = await call(post(fixtures[name]!, { "aeg-event-type": "Notification" }));
    expect(response.status).toBe(202);
    const messages = queue.messages();
    expect(messages).toEqual([{ v: 1, gateway: "contoso-eu", reason, force, requestId: expect.any(String) }]);
    expect(body.accepted).toEqual([
      {
        gateway: "contoso-eu",
        requestId: messages[0]!.requestId,
        duplicate: false,
        reason: expect.any(String),
      },
    ]);
    expect(log.events("rotation.enqueued")).toHaveLength(1);
  });

  it("acknowledges a resolved alert with 200 and enqueues nothing", async () => {
    const { queue } = await setUp();
    const { response, body } = await call(post(fixtures["azure-monitor-common-alert-resolved.json"]!));
    expect(response.status).toBe(200);
    expect(body.status).toBe("ignored");
    expect(queue.sent).toEqual([]);
  });

  it("enqueues one message for two deliveries of the same Event Grid event", async () => {
    const { queue } = await setUp();
    const first = await call(post(fixtures["eventgrid-keyvault-secret-near-expiry.json"]!));
    const second = await call(post(fixtures["eventgrid-keyvault-secret-near-expiry.json"]!));
    expect([first.response.status, second.response.status]).toEqual([202, 202]);
    expect(queue.sent).toHaveLength(1);
    const [a, b] = [first.body.accepted, second.body.accepted] as Array<Array<Record<string, unknown>>>;
    expect(b![0]).toEqual({ ...a![0], duplicate: true });
    expect(second.log.events("webhook.duplicate")).toHaveLength(1);
  });

  it("enqueues every plain call (no event id: each is a deliberate request)", async () => {
    const { queue } = await setUp();
    await call(post(fixtures["manual-rotate.json"]!));
    await call(post(fixtures["manual-rotate.json"]!));
    expect(new Set(queue.messages().map((m) => m.requestId)).size).toBe(2);
  });

  it("answers 413 over 256 KB, by Content-Length or by the body itself", async () => {
    const { queue } = await setUp();
    const big = JSON.stringify({ gateway: "contoso-eu", force: true, pad: "x".repeat(256 * 1024) });
    expect((await call(post(big))).response.status).toBe(413);
    expect((await call(post("{}", { "content-length": String(300 * 1024) }))).response.status).toBe(413);
    expect(queue.sent).toEqual([]);
  });

  it.each([
    ["not JSON", "{gateway: contoso-eu", /not valid JSON/],
    ["empty", "", /body is empty/],
    ["an unknown shape", '{"hello":"world"}', /expected one of/],
    ["a bad plain call", '{"gateway":"contoso-eu","force":"yes"}', /"force" must be true or false/],
  ])("answers 400 with what was expected for %s", async (_what, body, message) => {
    const { queue } = await setUp();
    const result = await call(post(body));
    expect(result.response.status).toBe(400);
    expect(result.body).toEqual({ error: "InputError", message: expect.stringMatching(message) });
    expect(queue.sent).toEqual([]);
  });

  it("answers 404 naming the gateway when none is configured by that name", async () => {
    const { queue } = await setUp();
    const result = await call(post('{"gateway":"contoso-asia"}'));
    expect(result.response.status).toBe(404);
    expect(result.body.message).toContain('gateway "contoso-asia"');
    expect(queue.sent).toEqual([]);
  });

  it("never answers 500 to bad input", async () => {
    await setUp();
    const bodies = [
      "null",
      "[]",
      "42",
      '"x"',
      "[1,2]",
      '[{"eventType":5}]',
      '{"specversion":"1.0"}',
      '{"schemaId":1}',
      "[{}]",
      '{"gateway":[]}',
      "\u0000",
    ];
    for (const body of bodies) {
      const { response } = await call(post(body));
      expect([400, 404, 413], `body ${body}`).toContain(response.status);
    }
  });

  it("answers 500 (the app's fault, not the caller's) when the configuration cannot be loaded", async () => {
    await setUp({
      config: async () => {
        throw Object.assign(new Error("GATEWAY_GUARD_CONFIG: gateways[0].name: required"), {
          name: "InputError",
        });
      },
    });
    const result = await call(post(fixtures["manual-rotate.json"]!));
    expect(result.response.status).toBe(500);
    expect(result.body.message).not.toContain("gateways[0]");
    expect(result.log.text()).toContain("gateways[0].name: required");
  });

  it("answers 503 with Retry-After when the queue cannot be reached", async () => {
    const queue = new MemoryQueueClient();
    queue.failWith = new Error("connect ECONNREFUSED");
    await setUp({ queueClient: queue });
    const result = await call(post(fixtures["manual-rotate.json"]!));
    expect(result.response.status).toBe(503);
    expect(result.response.headers).toMatchObject({ "Retry-After": "60" });
  });

  describe("CloudEvents handshake (OPTIONS)", () => {
    const options = (headers: Record<string, string>) =>
      new HttpRequest({ method: "OPTIONS", url: "http://localhost:7071/api/rotations", headers });

    it("allows the requesting origin and POST", async () => {
      await setUp();
      const { response } = await call(options({ "WebHook-Request-Origin": "eventgrid.azure.net" }));
      expect(response.status).toBe(200);
      expect(response.headers).toMatchObject({
        "WebHook-Allowed-Origin": "eventgrid.azure.net",
        Allow: "POST",
      });
    });

    it("answers 400 without an origin and 403 for an origin not allowed", async () => {
      await setUp({ env: { GATEWAY_GUARD_WEBHOOK_ALLOWED_ORIGINS: "eventgrid.azure.net" } });
      expect((await call(options({}))).response.status).toBe(400);
      expect((await call(options({ "WebHook-Request-Origin": "evil.example" }))).response.status).toBe(403);
      expect((await call(options({ "WebHook-Request-Origin": "EventGrid.azure.net" }))).response.status).toBe(
        200,
      );
    });
  });
});
