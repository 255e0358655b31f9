import { describe, expect, it } from "vitest";
import { sha256, stripGatewayKeyPrefix, tokenExpiry } from "../../shared/token/parse.js";

describe("tokenExpiry", () => {
  it("reads the middle field as UTC yyyyMMddHHmm", () => {
    expect(tokenExpiry("gw1&201904210044&9A1GR1f5WIhFvFmzQG+xxx/kBeu87DWad3tkasUXuvPL+MgzlwUHyg==")).toEqual(
      new Date("2019-04-21T00:44:00Z"),
    );
  });

  it("accepts the GatewayKey prefix", () => {
    expect(tokenExpiry("GatewayKey gw1&202512312359&c2ln")).toEqual(new Date("2025-12-31T23:59:00Z"));
  });

  it.each([
    ["no fields", "opaque"],
    ["two fields", "gw1&202501010000"],
    ["short date", "gw1&2025010100&sig"],
    ["impossible date", "gw1&202502300000&sig"],
    ["impossible hour", "gw1&202501012500&sig"],
  ])("gives undefined for %s", (_what, token) => {
    expect(tokenExpiry(token)).toBeUndefined();
  });
});

describe("sha256", () => {
  it("hashes the token the same with or without the prefix", () => {
    expect(sha256("a&b&c")).toBe(sha256("GatewayKey a&b&c"));
    expect(sha256("a&b&c")).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256("a&b&c")).not.toBe(sha256("a&b&d"));
  });

  it("strips the prefix only at the start", () => {
    expect(stripGatewayKeyPrefix(" GatewayKey x&y&z ")).toBe("x&y&z");
    expect(stripGatewayKeyPrefix("x GatewayKey y")).toBe("x GatewayKey y");
  });
});
