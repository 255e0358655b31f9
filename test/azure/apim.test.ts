import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApimTokenIssuer, apimPermissions } from "../../shared/azure/apim.js";
import type { ApimGatewayRef } from "../../shared/config/types.js";
import { startArmStandin, type ArmStandin } from "../standins/arm.js";
import { testClientTlsOptions } from "../standins/certs.js";
import { staticTokenCredential } from "../standins/http.js";
import { failure } from "../failure.js";

const gateway: ApimGatewayRef = {
  subscriptionId: "00000000-0000-0000-0000-000000000001",
  resourceGroup: "rg-gw",
  service: "apim-gw",
  gatewayId: "edge",
};
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000);

let arm: ArmStandin;
let issuer: ApimTokenIssuer;

beforeAll(async () => {
  arm = await startArmStandin();
  arm.addGateway(gateway);
  issuer = new ApimTokenIssuer({
    credential: staticTokenCredential(),
    endpoint: arm.endpoint,
    retry: { maxRetries: 4, retryDelayInMs: 10, maxRetryDelayInMs: 40 },
    clientOptions: await testClientTlsOptions(),
  });
});

afterAll(async () => {
  await arm.close();
});

beforeEach(() => {
  arm.clearFaults();
  arm.calls.length = 0;
});

describe("ApimTokenIssuer against the ARM stand-in", () => {
  it("mints a token signed with the asked key, expiring when asked, with api-version 2024-05-01", async () => {
    const expiresOn = inDays(29);
    const token = await issuer.mint(gateway, "secondary", expiresOn);
    expect(token).toMatch(/^edge&\d{12}&\S+$/);
    const check = arm.isValid(token);
    expect(check).toMatchObject({ valid: true, gatewayId: "edge", keyType: "secondary" });
    expect(check.expiresOn?.toISOString().slice(0, 16)).toBe(expiresOn.toISOString().slice(0, 16));
    expect(arm.calls).toEqual([
      expect.objectContaining({ operation: "generateToken", apiVersion: "2024-05-01", status: 200 }),
    ]);
  });

  it("revoke regenerates the key: tokens signed with it stop working, the other key's stay valid", async () => {
    const primary = await issuer.mint(gateway, "primary", inDays(2));
    const secondary = await issuer.mint(gateway, "secondary", inDays(2));
    await issuer.revoke(gateway, "primary");
    expect(arm.isValid(primary)).toMatchObject({ valid: false, reason: "bad-signature" });
    expect(arm.isValid(secondary)).toMatchObject({ valid: true });
    expect(arm.calls.map((c) => [c.operation, c.status])).toContainEqual(["regenerateKey", 204]);
  });

  it("completes through a 429 storm with Retry-After and a transient 503, backing off", async () => {
    arm.failNext({ status: 429, count: 2, path: "generateToken", retryAfterInMs: 30 });
    arm.failNext({ status: 503, count: 1, path: "generateToken" });
    const started = Date.now();
    const token = await issuer.mint(gateway, "primary", inDays(1));
    expect(arm.isValid(token)).toMatchObject({ valid: true });
    expect(arm.calls.map((c) => c.status)).toEqual([429, 429, 503, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  it("honours Retry-After in seconds on 429", async () => {
    arm.failNext({ status: 429, count: 1, path: "generateToken", retryAfterInSeconds: 1 });
    const started = Date.now();
    await issuer.mint(gateway, "primary", inDays(1));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(arm.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it("gives up after maxRetries and reports the status without the token", async () => {
    arm.failNext({ status: 500, count: Infinity, path: "generateToken" });
    const error = await failure(issuer.mint(gateway, "primary", inDays(1)));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/generateToken .*"edge".*HTTP 500/);
    expect(arm.calls).toHaveLength(5);
  });

  it("turns 403 into PermissionDeniedError naming the RBAC action, for mint and revoke", async () => {
    arm.failNext({ status: 403, path: "generateToken" });
    const minted = await failure(issuer.mint(gateway, "primary", inDays(1)));
    expect(minted.name).toBe("PermissionDeniedError");
    expect(minted.permission).toBe(apimPermissions.generateToken);
    expect(minted.message).toContain("Microsoft.ApiManagement/service/gateways/generateToken/action");
    expect(minted.message).toContain('"edge"');

    arm.failNext({ status: 403, path: "regenerateKey" });
    const revoked = await failure(issuer.revoke(gateway, "secondary"));
    expect(revoked.name).toBe("PermissionDeniedError");
    expect(revoked.permission).toBe("Microsoft.ApiManagement/service/gateways/regenerateKey/action");
    expect(arm.calls.filter((c) => c.status === 403)).toHaveLength(2);
  });

  it("identifies the key a token was signed with from the listed keys, and none once regenerated", async () => {
    const primary = await issuer.mint(gateway, "primary", inDays(3));
    const secondary = await issuer.mint(gateway, "secondary", inDays(3));
    expect(await issuer.identifyKey(gateway, primary)).toBe("primary");
    expect(await issuer.identifyKey(gateway, `GatewayKey ${secondary}`)).toBe("secondary");
    await issuer.revoke(gateway, "primary");
    expect(await issuer.identifyKey(gateway, primary)).toBeUndefined();
    expect(await issuer.identifyKey(gateway, "not-a-token")).toBeUndefined();
    expect(arm.calls.filter((c) => c.operation === "listKeys").map((c) => c.status)).toEqual([
      200, 200, 200, 200,
    ]);
  });

  it("retries listKeys and regenerateKey through a 429 with Retry-After and a 503", async () => {
    const token = await issuer.mint(gateway, "secondary", inDays(3));
    arm.calls.length = 0;
    arm.failNext({ status: 429, path: "listKeys", retryAfterInMs: 20 });
    arm.failNext({ status: 503, path: "listKeys" });
    expect(await issuer.identifyKey(gateway, token)).toBe("secondary");
    arm.failNext({ status: 503, path: "regenerateKey" });
    arm.failNext({ status: 429, path: "regenerateKey", retryAfterInMs: 20 });
    await issuer.revoke(gateway, "secondary");
    expect(arm.calls.map((c) => `${c.operation} ${c.status}`)).toEqual([
      "listKeys 429",
      "listKeys 503",
      "listKeys 200",
      "regenerateKey 503",
      "regenerateKey 429",
      "regenerateKey 204",
    ]);
    expect(arm.isValid(token)).toMatchObject({ valid: false, reason: "bad-signature" });
  });

  it("bounds every call by timeoutInMs, retries included, and says so", async () => {
    const slow = new ApimTokenIssuer({
      credential: staticTokenCredential(),
      endpoint: arm.endpoint,
      timeoutInMs: 200,
      clientOptions: await testClientTlsOptions(),
    });
    arm.latencyInMs = 1_000;
    try {
      const error = await failure(slow.mint(gateway, "primary", inDays(1)));
      expect(error.message).toMatch(/ARM generateToken for gateway "edge" .* did not answer within 0.2s/);
    } finally {
      arm.latencyInMs = 0;
    }
  });

  it("names the listKeys action when it is denied", async () => {
    arm.failNext({ status: 403, path: "listKeys" });
    const error = await failure(issuer.identifyKey(gateway, "edge&203001010000&c2ln"));
    expect(error).toMatchObject({ name: "PermissionDeniedError", permission: apimPermissions.listKeys });
  });

  it("turns 404 into NotFoundError naming the gateway and service", async () => {
    const missing = { ...gateway, gatewayId: "nope" };
    const error = await failure(issuer.mint(missing, "primary", inDays(1)));
    expect(error.name).toBe("NotFoundError");
    expect(error.message).toContain('gateway "nope" of API Management service "apim-gw"');
  });

  it("keeps one client per subscription", async () => {
    const other = { ...gateway, subscriptionId: "00000000-0000-0000-0000-000000000002" };
    arm.addGateway(other);
    const a = await issuer.mint(gateway, "primary", inDays(1));
    const b = await issuer.mint(other, "primary", inDays(1));
    expect(arm.isValid(a)).toMatchObject({ valid: true });
    expect(arm.isValid(b)).toMatchObject({ valid: true });
  });

  it("keeps no request, response, bearer token or gateway token in errors", async () => {
    const token = await issuer.mint(gateway, "primary", inDays(1));
    arm.failNext({
      status: 400,
      path: "generateToken",
      body: { error: { code: "BadRequest", message: "refused" } },
    });
    const error = await failure(issuer.mint(gateway, "primary", inDays(1)));
    expect(error.message).toContain("HTTP 400");
    const everything = inspect(error, { depth: 10, showHidden: true });
    expect(everything).not.toContain(token.split("&")[2]);
    expect(everything).not.toContain("fake-access-token");
    expect(error.cause).not.toHaveProperty("request");
    expect(error.cause).not.toHaveProperty("response");
  });
});
