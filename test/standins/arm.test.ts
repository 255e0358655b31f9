import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiManagementClient } from "@azure/arm-apimanagement";
import { startArmStandin, type ArmStandin } from "./arm.js";
import { testClientTlsOptions } from "./certs.js";
import { staticTokenCredential } from "./http.js";
import { request } from "node:https";
import { createHmac } from "node:crypto";

const subscriptionId = "00000000-0000-0000-0000-000000000000";
const rg = "rg1";
const svc = "apim1";
const ref = { subscriptionId, resourceGroup: rg, service: svc, gatewayId: "gw1" };
const gatewayPath = `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ApiManagement/service/${svc}/gateways/gw1`;
const inDays = (days: number) => new Date(Date.now() + days * 24 * 60 * 60 * 1000);

let arm: ArmStandin;
let client: ApiManagementClient;

beforeAll(async () => {
  arm = await startArmStandin({ pageSize: 2 });
  arm.addGateway(ref, { description: "first" });
  for (const id of ["gw2", "gw3", "gw4", "gw5"]) arm.addGateway({ ...ref, gatewayId: id });
  client = new ApiManagementClient(staticTokenCredential(), subscriptionId, {
    endpoint: arm.endpoint,
    ...(await testClientTlsOptions()),
    retryOptions: { maxRetries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
  });
});

afterAll(async () => {
  await arm.close();
});

beforeEach(() => {
  arm.clearFaults();
  arm.calls.length = 0;
});

describe("ARM stand-in through ApiManagementClient", () => {
  it("generates a token in the documented shape that validates with the key it was signed with", async () => {
    const expiry = inDays(29);
    const { value } = await client.gateway.generateToken(rg, svc, "gw1", { keyType: "secondary", expiry });
    expect(value).toMatch(/^gw1&\d{12}&[A-Za-z0-9+/]+=*$/);
    const check = arm.isValid(`GatewayKey ${value}`);
    expect(check).toMatchObject({ valid: true, gatewayId: "gw1", keyType: "secondary" });
    expect(check.expiresOn?.toISOString().slice(0, 16)).toBe(expiry.toISOString().slice(0, 16));
    expect(arm.calls).toEqual([
      expect.objectContaining({
        method: "POST",
        operation: "generateToken",
        apiVersion: "2024-05-01",
        status: 200,
        keyType: "secondary",
      }),
    ]);
    expect(JSON.stringify(arm.calls)).not.toContain(value!.split("&")[2]);
  });

  it("signs as documented: HMAC-SHA512 under the listed key of '<id>\\n<expiry, round-trip form>'", async () => {
    const expiry = new Date(Math.floor(inDays(2).getTime() / 60_000) * 60_000 + 59_999);
    const minute = expiry.toISOString().slice(0, 16);
    const { value } = await client.gateway.generateToken(rg, svc, "gw1", { keyType: "primary", expiry });
    const keys = await client.gateway.listKeys(rg, svc, "gw1");
    const signed = createHmac("sha512", Buffer.from(keys.primary!, "utf8"))
      .update(`gw1\n${minute}:00.0000000Z`, "utf8")
      .digest("base64");
    expect(value).toBe(`gw1&${minute.replace(/\D/g, "")}&${signed}`);
  });

  it("regenerateKey invalidates tokens signed with that key only", async () => {
    const primary = (
      await client.gateway.generateToken(rg, svc, "gw1", { keyType: "primary", expiry: inDays(1) })
    ).value!;
    const secondary = (
      await client.gateway.generateToken(rg, svc, "gw1", { keyType: "secondary", expiry: inDays(1) })
    ).value!;
    await client.gateway.regenerateKey(rg, svc, "gw1", { keyType: "primary" });
    expect(arm.isValid(primary)).toMatchObject({ valid: false, reason: "bad-signature" });
    expect(arm.isValid(secondary)).toMatchObject({ valid: true, keyType: "secondary" });
    expect(arm.calls.map((c) => [c.operation, c.status])).toContainEqual(["regenerateKey", 204]);
  });

  it("rejects bad requests as ARM does", async () => {
    await expect(
      client.gateway.generateToken(rg, svc, "gw1", { keyType: "primary", expiry: inDays(31) }),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: "ValidationError",
      message: expect.stringMatching(/30 days/),
    });
    await expect(
      client.gateway.generateToken(rg, svc, "gw1", { keyType: "primary", expiry: inDays(-1) }),
    ).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/future/) });
    const { tlsOptions } = await testClientTlsOptions();
    const bad = await rawRequest(
      `${arm.endpoint}${gatewayPath}/generateToken?api-version=2024-05-01`,
      tlsOptions.ca,
      {
        method: "POST",
        headers: { authorization: "Bearer x", "content-type": "application/json" },
        body: JSON.stringify({ keyType: "tertiary", expiry: inDays(1).toISOString() }),
      },
    );
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "ValidationError" } } });
    expect(JSON.stringify(bad.body)).toContain("keyType");
    await expect(client.gateway.get(rg, svc, "nope")).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceNotFound",
    });
    expect(arm.isValid("garbage")).toEqual({ valid: false, reason: "malformed" });
    expect(arm.isValid("other&202001010000&AAAA")).toMatchObject({ valid: false, reason: "unknown-gateway" });
  });

  it("answers 401 without a bearer token, and 400 without an api-version", async () => {
    const { tlsOptions } = await testClientTlsOptions();
    const anonymous = await rawRequest(`${arm.endpoint}${gatewayPath}?api-version=2024-05-01`, tlsOptions.ca);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: { code: "AuthenticationFailed" } });
    const unversioned = await rawRequest(`${arm.endpoint}${gatewayPath}`, tlsOptions.ca, {
      headers: { authorization: "Bearer x" },
    });
    expect(unversioned).toMatchObject({
      status: 400,
      body: { error: { code: "MissingApiVersionParameter" } },
    });
  });

  it("lists keys and gets a gateway with its etag", async () => {
    const keys = await client.gateway.listKeys(rg, svc, "gw1");
    expect(keys.primary).toBeTruthy();
    expect(keys.secondary).toBeTruthy();
    expect(keys.eTag).toMatch(/^"/);
    const { eTag } = await client.gateway.getEntityTag(rg, svc, "gw1");
    expect(eTag).toBe(keys.eTag);
    const gateway = await client.gateway.get(rg, svc, "gw1");
    expect(gateway).toMatchObject({
      name: "gw1",
      description: "first",
      type: "Microsoft.ApiManagement/service/gateways",
      locationData: { name: "local" },
    });
    expect(gateway.id).toBe(
      `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ApiManagement/service/${svc}/gateways/gw1`,
    );
  });

  it("lists gateways across pages with nextLink", async () => {
    const names: string[] = [];
    for await (const gateway of client.gateway.listByService(rg, svc)) names.push(gateway.name!);
    expect(names).toEqual(["gw1", "gw2", "gw3", "gw4", "gw5"]);
    expect(arm.calls.filter((c) => c.operation === "list")).toHaveLength(3);
  });

  it("answers 429 with Retry-After, and the SDK retries by itself after the delay", async () => {
    arm.failNext({ status: 429, retryAfterInSeconds: 1, count: 1, path: "/generateToken" });
    const started = Date.now();
    const { value } = await client.gateway.generateToken(rg, svc, "gw1", {
      keyType: "primary",
      expiry: inDays(1),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(arm.isValid(value!).valid).toBe(true);
    expect(arm.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it("serves 5xx faults, which the SDK retries", async () => {
    arm.failNext({ status: 503, count: 2 });
    await client.gateway.get(rg, svc, "gw2");
    expect(arm.calls.map((c) => c.status)).toEqual([503, 503, 200]);
  });

  it("answers 403 AuthorizationFailed naming the action", async () => {
    arm.failNext({ status: 403, path: "/generateToken", count: Infinity });
    const error = await client.gateway
      .generateToken(rg, svc, "gw1", { keyType: "primary", expiry: inDays(1) })
      .then(
        () => ({ statusCode: 0, code: "", message: "no error" }),
        (e: { statusCode: number; code: string; message: string }) => e,
      );
    expect(error).toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
    expect(error.message).toContain("Microsoft.ApiManagement/service/gateways/generateToken/action");
    await expect(client.gateway.get(rg, svc, "gw1")).resolves.toMatchObject({ name: "gw1" });
  });

  it("adds latency", async () => {
    arm.latencyInMs = 200;
    const started = Date.now();
    await client.gateway.get(rg, svc, "gw1");
    arm.latencyInMs = 0;
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it("reports expired tokens by the injected clock", async () => {
    let clock = new Date();
    const timed = await startArmStandin({ now: () => clock });
    try {
      timed.addGateway(ref);
      const timedClient = new ApiManagementClient(staticTokenCredential(), subscriptionId, {
        endpoint: timed.endpoint,
        ...(await testClientTlsOptions()),
      });
      const { value } = await timedClient.gateway.generateToken(rg, svc, "gw1", {
        keyType: "primary",
        expiry: new Date(clock.getTime() + 60 * 60 * 1000),
      });
      expect(timed.isValid(value!).valid).toBe(true);
      clock = new Date(clock.getTime() + 2 * 60 * 60 * 1000);
      expect(timed.isValid(value!)).toMatchObject({ valid: false, reason: "expired", keyType: "primary" });
    } finally {
      await timed.close();
    }
  });
});

/** A request without the SDK (to send what the SDK would refuse to). */
function rawRequest(
  url: string,
  ca: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    request(url, { ca, method: init.method ?? "GET", headers: init.headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    })
      .on("error", reject)
      .end(init.body);
  });
}
