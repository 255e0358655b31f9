import { describe, expect, it } from "vitest";
import { parseWebhook, type HeadersLike } from "../../shared/webhook/parse.js";
import { webhookFixtures } from "../functions/helpers.js";

const fixtures = webhookFixtures();
const noHeaders: HeadersLike = new Headers();
const fixture = (name: string): unknown => JSON.parse(fixtures[name]!);

function rotate(body: unknown, headers: HeadersLike = noHeaders) {
  const result = parseWebhook(headers, body);
  if (result.kind !== "rotate") throw new Error(`expected rotate, got ${result.kind}`);
  return result.requests;
}

describe("parseWebhook", () => {
  it("answers Event Grid subscription validation with the code", () => {
    const headers = new Headers({ "aeg-event-type": "SubscriptionValidation" });
    expect(parseWebhook(headers, fixture("eventgrid-subscription-validation.json"))).toEqual({
      kind: "validation",
      validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
    });
  });

  it("maps an Event Grid Key Vault SecretNearExpiry (EXP as a string) to vault and secret", () => {
    const [request] = rotate(fixture("eventgrid-keyvault-secret-near-expiry.json"));
    expect(request).toEqual({
      match: {
        vault: "kv-gateways",
        vaultHost: "kv-gateways.vault.azure.net",
        secretName: "gw-contoso-eu-token",
      },
      eventId: "00eccf70-95a7-4e7c-8299-2eb17ee9ad64",
      reason: "Microsoft.KeyVault.SecretNearExpiry kv-gateways/gw-contoso-eu-token",
      force: false,
      expiresOn: new Date(1767225600 * 1000),
      origin: "webhook",
    });
  });

  it("maps a CloudEvents Key Vault event (EXP as a number), keyed by source and id", () => {
    const [request] = rotate(fixture("cloudevents-keyvault-secret-near-expiry.json"));
    expect(request?.match).toEqual({
      vault: "kv-gateways",
      vaultHost: "kv-gateways.vault.azure.net",
      secretName: "gw-contoso-eu-token",
    });
    expect(request?.expiresOn).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(request?.eventId).toMatch(/vaults\/kv-gateways#00eccf70-95a7-4e7c-8299-2eb17ee9ad65$/);
  });

  it("accepts a CloudEvents batch", () => {
    const event = fixture("cloudevents-keyvault-secret-near-expiry.json") as Record<string, unknown>;
    const requests = rotate([
      event,
      {
        ...event,
        id: "other",
        subject: "x",
        data: { ...(event.data as object), ObjectName: "other-secret" },
      },
    ]);
    expect(requests.map((r) => "secretName" in r.match && r.match.secretName)).toEqual([
      "gw-contoso-eu-token",
      "other-secret",
    ]);
  });

  it("maps an APIM GatewayTokenNearExpiry to the gateway resource id and its expiry", () => {
    const [request] = rotate(fixture("eventgrid-apim-gateway-token-near-expiry.json"));
    expect(request?.match).toEqual({
      gatewayResourceId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-gateways/providers/Microsoft.ApiManagement/service/apim-contoso/gateways/contoso-eu",
    });
    expect(request?.expiresOn).toEqual(new Date("2026-12-01T00:00:00Z"));
    expect(request?.force).toBe(false);
  });

  it("reads GatewayTokenExpired's expiredAtUtc, and the gateway from topic and subject when gatewayInfo is absent", () => {
    const [request] = rotate([
      {
        id: "e1",
        eventType: "Microsoft.ApiManagement.GatewayTokenExpired",
        topic: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc",
        subject: "/gateways/gw1/instances/pod-1",
        data: { tokenInfo: { expiredAtUtc: "2026-11-01T00:00:00Z" } },
      },
    ]);
    expect(request?.match).toEqual({
      gatewayResourceId:
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/gateways/gw1",
    });
    expect(request?.expiresOn).toEqual(new Date("2026-11-01T00:00:00Z"));
  });

  it("acts on a fired Azure Monitor alert, naming the gateway from customProperties", () => {
    const [request] = rotate(fixture("azure-monitor-common-alert-fired.json"));
    expect(request?.match).toEqual({ gatewayName: "contoso-eu" });
    expect(request?.reason).toBe("Azure Monitor alert gateway-token-expiring fired");
    expect(request?.eventId).toContain("b9569717-bc32-442f-add5-83a997729330@2026-11-26T10:00:00.000Z");
  });

  it("falls back to alertTargetIDs when the alert names no gateway", () => {
    const alert = fixture("azure-monitor-common-alert-fired.json") as {
      data: { customProperties?: unknown };
    };
    delete alert.data.customProperties;
    const [request] = rotate(alert);
    expect(request?.match).toEqual({
      resourceIds: [
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-gateways/providers/microsoft.apimanagement/service/apim-contoso",
      ],
    });
  });

  it("acknowledges and ignores a resolved alert", () => {
    expect(parseWebhook(noHeaders, fixture("azure-monitor-common-alert-resolved.json"))).toEqual({
      kind: "ignored",
      reason: "alert gateway-token-expiring resolved: nothing to do",
    });
  });

  it("takes the plain call with force", () => {
    expect(rotate(fixture("manual-rotate.json"))).toEqual([
      { match: { gatewayName: "contoso-eu" }, reason: "manual call", force: true, origin: "manual" },
    ]);
    expect(rotate({ gateway: "contoso-eu" })[0]?.force).toBe(false);
  });

  it("ignores unrelated events in a batch that has a known one", () => {
    const known = (fixture("eventgrid-keyvault-secret-near-expiry.json") as unknown[])[0];
    const result = parseWebhook(noHeaders, [
      known,
      { id: "x", eventType: "Microsoft.KeyVault.SecretNewVersionCreated", data: {} },
    ]);
    expect(result.kind).toBe("rotate");
    expect(result.kind === "rotate" && result.ignored[0]).toContain(
      "Microsoft.KeyVault.SecretNewVersionCreated",
    );
  });

  it.each([
    [
      "an unknown object",
      { hello: "world" },
      /unknown shape \(keys: "hello"\); expected one of: an Event Grid event array/,
    ],
    ["a string", "rotate please", /not a JSON object or array/],
    ["null", null, /not a JSON object or array/],
    ["an empty array", [], /empty array/],
    ["a mixed array", [{ eventType: "x" }, 3], /not all Event Grid or CloudEvents events/],
    [
      "only unsupported Event Grid events",
      [{ id: "1", eventType: "Microsoft.Storage.BlobCreated", data: {} }],
      /Microsoft.Storage.BlobCreated.*is not one this endpoint acts on/,
    ],
    [
      "a validation event without a code",
      [{ id: "1", eventType: "Microsoft.EventGrid.SubscriptionValidationEvent", data: {} }],
      /expected data.validationCode/,
    ],
    [
      "a Key Vault event without a secret",
      [{ id: "1", eventType: "Microsoft.KeyVault.SecretExpired", data: {} }],
      /expected data.VaultName and data.ObjectName/,
    ],
    [
      "an APIM event without a gateway",
      [{ id: "1", eventType: "Microsoft.ApiManagement.GatewayTokenExpired", data: {} }],
      /expected data.gatewayInfo.gatewayId/,
    ],
    [
      "a CloudEvent of another version",
      { specversion: "0.3", id: "1", type: "t", source: "s" },
      /expected specversion "1.0"/,
    ],
    [
      "a CloudEvent without a type",
      { specversion: "1.0", id: "1", source: "s" },
      /expected the CloudEvents attributes id, type and source/,
    ],
    [
      "an alert in another schema",
      { schemaId: "Microsoft.Insights/activityLogs", data: {} },
      /expected schemaId "azureMonitorCommonAlertSchema"/,
    ],
    [
      "an alert in an unknown condition",
      { schemaId: "azureMonitorCommonAlertSchema", data: { essentials: { monitorCondition: "Maybe" } } },
      /expected data.essentials.monitorCondition "Fired" or "Resolved"/,
    ],
    [
      "a fired alert naming nothing",
      {
        schemaId: "azureMonitorCommonAlertSchema",
        data: { essentials: { monitorCondition: "Fired", alertTargetIDs: [] } },
      },
      /customProperties.gateway or a gateway\/service in data.essentials.alertTargetIDs/,
    ],
    ["a plain call with a typo", { gateway: "contoso-eu", forced: true }, /unexpected key\(s\) "forced"/],
    [
      "a plain call with a non-boolean force",
      { gateway: "contoso-eu", force: "yes" },
      /"force" must be true or false/,
    ],
    ["a plain call with an empty gateway", { gateway: "" }, /"gateway" must be a non-empty string/],
  ])("refuses %s with what was expected", (_what, body, message) => {
    expect(() => parseWebhook(noHeaders, body)).toThrowError(message);
    try {
      parseWebhook(noHeaders, body);
    } catch (error) {
      expect((error as Error).name).toBe("InputError");
    }
  });

  it("refuses a SubscriptionValidation header with a body that is not a validation", () => {
    expect(() =>
      parseWebhook(
        new Headers({ "aeg-event-type": "SubscriptionValidation" }),
        fixture("manual-rotate.json"),
      ),
    ).toThrowError(/SubscriptionValidation/);
  });

  it("parses EXP leniently: absent, empty, ISO, junk", () => {
    const event = (exp: unknown) => [
      {
        id: "1",
        eventType: "Microsoft.KeyVault.SecretNearExpiry",
        data: { VaultName: "v", ObjectName: "s", EXP: exp },
      },
    ];
    expect(rotate(event(undefined))[0]?.expiresOn).toBeUndefined();
    expect(rotate(event(""))[0]?.expiresOn).toBeUndefined();
    expect(rotate(event(" 1767225600 "))[0]?.expiresOn).toEqual(new Date(1767225600 * 1000));
    expect(rotate(event("2026-01-01T00:00:00Z"))[0]?.expiresOn).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(rotate(event("soon"))[0]?.expiresOn).toBeUndefined();
  });
});
