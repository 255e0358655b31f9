import { describe, expect, it } from "vitest";
import { parseWebhook, type RotateRequest } from "../../shared/webhook/parse.js";
import { gatewayResourceId, matchGateways, resolveGateways } from "../../shared/webhook/resolve.js";
import { gateway, sampleConfig, webhookFixtures } from "../functions/helpers.js";

const fixtures = webhookFixtures();

function requestsOf(name: string): RotateRequest[] {
  const result = parseWebhook(new Headers(), JSON.parse(fixtures[name]!));
  if (result.kind !== "rotate") throw new Error(`expected rotate, got ${result.kind}`);
  return result.requests;
}

describe("resolveGateways", () => {
  it.each([
    "eventgrid-keyvault-secret-near-expiry.json",
    "cloudevents-keyvault-secret-near-expiry.json",
    "eventgrid-apim-gateway-token-near-expiry.json",
    "azure-monitor-common-alert-fired.json",
    "manual-rotate.json",
  ])("maps %s to contoso-eu only", (name) => {
    const { rotations, unmatched } = resolveGateways(requestsOf(name), sampleConfig);
    expect(rotations.map((r) => r.gateway.name)).toEqual(["contoso-eu"]);
    expect(unmatched).toEqual([]);
  });

  it("compares gateway resource ids without regard to case or a trailing slash", () => {
    const id = gatewayResourceId(sampleConfig.gateways[1]!).toUpperCase() + "/";
    expect(matchGateways({ gatewayResourceId: id }, sampleConfig.gateways).map((g) => g.name)).toEqual([
      "contoso-us",
    ]);
  });

  it("maps an alert target that is the APIM service to every gateway of that service", () => {
    const service =
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-gateways/providers/microsoft.apimanagement/service/apim-contoso";
    const other = gateway("elsewhere", {
      apim: { subscriptionId: "1", resourceGroup: "rg", service: "other", gatewayId: "elsewhere" },
    });
    expect(
      matchGateways({ resourceIds: [service] }, [...sampleConfig.gateways, other]).map((g) => g.name),
    ).toEqual(["contoso-eu", "contoso-us"]);
  });

  it("matches a vault by the event's host as well as by name (stand-ins, private endpoints)", () => {
    const local = gateway("local", { keyVault: { url: "https://127.0.0.1:8443", secretName: "tok" } });
    expect(
      matchGateways({ vault: "kv", vaultHost: "127.0.0.1:8443", secretName: "TOK" }, [local]),
    ).toHaveLength(1);
    expect(matchGateways({ vault: "kv", secretName: "tok" }, [local])).toHaveLength(0);
    expect(
      matchGateways({ vault: "kv-gateways", secretName: "gw-contoso-eu-token" }, sampleConfig.gateways),
    ).toHaveLength(1);
    expect(
      matchGateways({ vault: "kv-other", secretName: "gw-contoso-eu-token" }, sampleConfig.gateways),
    ).toHaveLength(0);
  });

  it("keeps one rotation per gateway and reports the requests that matched nothing", () => {
    const requests: RotateRequest[] = [
      { match: { gatewayName: "contoso-eu" }, reason: "a", force: false, origin: "webhook", eventId: "1" },
      { match: { gatewayName: "contoso-eu" }, reason: "b", force: false, origin: "webhook", eventId: "2" },
      { match: { gatewayName: "nope" }, reason: "c", force: false, origin: "webhook" },
    ];
    const { rotations, unmatched } = resolveGateways(requests, sampleConfig);
    expect(rotations.map((r) => [r.gateway.name, r.request.reason])).toEqual([["contoso-eu", "a"]]);
    expect(unmatched.map((r) => r.reason)).toEqual(["c"]);
  });

  it("throws NotFoundError naming what was asked for when nothing matches", () => {
    const requests: RotateRequest[] = [
      { match: { gatewayName: "nope" }, reason: "x", force: true, origin: "manual" },
    ];
    expect(() => resolveGateways(requests, sampleConfig)).toThrowError(
      expect.objectContaining({ name: "NotFoundError", message: expect.stringContaining('gateway "nope"') }),
    );
  });
});

describe("messages that quote a payload", () => {
  const token = "contoso-eu&209901010000&c2lnbmF0dXJlLW9mLWEtdG9rZW4=";

  it("redact a token the caller put where a name or type goes (400 and 404 answers)", () => {
    const unknownType = (() => {
      try {
        return parseWebhook(new Headers(), [{ eventType: token, id: "1", data: {} }]);
      } catch (error) {
        return error as Error;
      }
    })();
    expect(unknownType).toMatchObject({ name: "InputError" });
    expect((unknownType as Error).message).toContain("<redacted>");
    expect((unknownType as Error).message).not.toContain("c2lnbmF0dXJl");

    const request = parseWebhook(new Headers(), { gateway: token, force: true });
    if (request.kind !== "rotate") throw new Error("expected rotate");
    expect(() => resolveGateways(request.requests, sampleConfig)).toThrow(
      /^no configured gateway matches gateway "<redacted>" \(configured: contoso-eu, contoso-us\)$/,
    );
  });
});
