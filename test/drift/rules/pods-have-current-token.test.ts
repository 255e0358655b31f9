import { describe, expect, it } from "vitest";
import { podsHaveCurrentTokenRule } from "../../../shared/drift/rules/pods-have-current-token.js";
import type { LiveData } from "../../../shared/drift/types.js";
import { podsOnCurrentToken } from "../../../shared/drift/rules/live.js";
import { gateway, one } from "./base.js";

const rotated = new Date("2026-03-01T03:00:00Z");
const before = new Date("2026-02-20T00:00:00Z");
const after = new Date("2026-03-01T03:05:00Z");
const check = (live: LiveData) => one(podsHaveCurrentTokenRule, gateway(undefined, { partial: false, live }));

describe("pods-have-current-token", () => {
  it("passes when every ready pod started after the rotation", () => {
    const result = check({
      lastRotatedAt: rotated,
      pods: [
        { name: "gw-1", ready: true, startedAt: after },
        { name: "gw-2", ready: false, startedAt: before },
      ],
    });
    expect(result.status).toBe("pass");
  });

  it("fails naming the ready pods that started before it", () => {
    const result = check({
      lastRotatedAt: rotated,
      pods: [
        { name: "gw-1", ready: true, startedAt: after },
        { name: "gw-2", ready: true, startedAt: before },
      ],
    });
    expect(result.status).toBe("fail");
    expect(result.actual).toContain("1 of 2");
    expect(result.message).toContain("gw-2");
    expect(result.message).not.toContain("gw-1");
  });

  it("compares at second precision: a pod started in the rotation's second holds the new token", () => {
    const rotatedAt = new Date("2026-03-01T03:00:00.600Z");
    const sameSecond = { name: "gw-1", ready: true, startedAt: new Date("2026-03-01T03:00:00Z") };
    expect(check({ lastRotatedAt: rotatedAt, pods: [sameSecond] }).status).toBe("pass");
    const secondBefore = { name: "gw-2", ready: true, startedAt: new Date("2026-03-01T02:59:59Z") };
    const result = check({ lastRotatedAt: rotatedAt, pods: [sameSecond, secondBefore] });
    expect(result.status).toBe("fail");
    expect(result.message).toContain("gw-2");
    expect(result.message).not.toContain("gw-1");
  });

  it("is unknown when a ready pod's start time is unknown", () => {
    expect(check({ lastRotatedAt: rotated, pods: [{ name: "gw-1", ready: true }] }).status).toBe("unknown");
  });

  it("is unknown when no rotation is recorded", () => {
    const result = check({ pods: [{ name: "gw-1", ready: true, startedAt: after }] });
    expect(result.status).toBe("unknown");
    expect(result.message).toContain("gateway-guard.io/rotated-at");
  });

  it("fails with 0 on the current token while the Secret differs from Key Vault, whatever rotated-at says", () => {
    const result = check({
      lastRotatedAt: rotated,
      secretTokenSha256: "a".repeat(64),
      vaultTokenSha256: "b".repeat(64),
      pods: [
        { name: "gw-1", ready: true, startedAt: after },
        { name: "gw-2", ready: true, startedAt: after },
      ],
    });
    expect(result.status).toBe("fail");
    expect(result.actual).toBe("0 of 2 ready pods on Key Vault's token (gw-1, gw-2 hold another)");
    expect(result.message).toContain("differs from Key Vault");
  });

  it("counts pods as status does", () => {
    const live: LiveData = {
      lastRotatedAt: rotated,
      pods: [
        { name: "gw-1", ready: true, startedAt: after },
        { name: "gw-2", ready: true, startedAt: before },
        { name: "gw-3", ready: true },
        { name: "gw-4", ready: false, startedAt: before },
      ],
    };
    expect(podsOnCurrentToken(live)).toEqual({
      ready: 3,
      current: 1,
      behind: ["gw-2"],
      unknownStart: ["gw-3"],
    });
    expect(podsOnCurrentToken({})).toBeUndefined();
  });
});
