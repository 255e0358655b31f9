import { describe, expect, it } from "vitest";
import { secretAnnotations } from "../../shared/rotation/types.js";
import { secretTokenInfo } from "../../shared/token/secretInfo.js";

const token = "gw1&202503300000&c2lnbmVk";
const handmade = "gw1&202504020000&aGFuZA==";
const recorded = {
  [secretAnnotations.keyType]: "secondary",
  [secretAnnotations.expiresOn]: "2025-03-30T00:00:00.000Z",
  [secretAnnotations.vaultVersion]: "v7",
};

describe("secretTokenInfo", () => {
  it("trusts the annotations while their expiry matches the token's own (to the minute)", () => {
    const annotations = { ...recorded, [secretAnnotations.expiresOn]: "2025-03-30T00:00:42.123Z" };
    expect(secretTokenInfo(annotations, token)).toEqual({
      keyType: "secondary",
      expiresOn: new Date("2025-03-30T00:00:42.123Z"),
      source: "annotations",
    });
  });

  it("ignores annotations left behind by a token replaced by hand: key type unknown, the token's expiry", () => {
    expect(secretTokenInfo(recorded, handmade)).toEqual({
      expiresOn: new Date("2025-04-02T00:00:00Z"),
      source: "token",
    });
    expect(secretTokenInfo(recorded, handmade, { token, version: "v7", keyType: "secondary" })).toEqual({
      expiresOn: new Date("2025-04-02T00:00:00Z"),
      source: "token",
    });
  });

  it("takes Key Vault's tags when the Secret holds Key Vault's current token", () => {
    const vault = { token, version: "v7", keyType: "primary" as const, expiresOn: new Date("2025-03-29Z") };
    expect(secretTokenInfo({}, token, vault)).toEqual({
      keyType: "primary",
      expiresOn: new Date("2025-03-29Z"),
      source: "vault",
    });
  });

  it("uses annotations naming Key Vault's version when the token's expiry cannot be read", () => {
    const opaque = "not-a-gateway-token";
    expect(secretTokenInfo(recorded, opaque, { token: opaque, version: "v7" })).toEqual({
      keyType: "secondary",
      expiresOn: new Date("2025-03-30T00:00:00Z"),
      source: "vault",
    });
    expect(secretTokenInfo(recorded, opaque, { token: opaque, version: "v8" })).toEqual({ source: "vault" });
    expect(secretTokenInfo(recorded, opaque)).toEqual({ source: "token" });
  });

  it("knows nothing without a token", () => {
    expect(secretTokenInfo(recorded, undefined)).toEqual({ source: "none" });
  });
});
