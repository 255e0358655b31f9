import { describe, expect, it } from "vitest";
import { RecentKeys, requestIdForEvent } from "../../shared/queue/dedupe.js";

describe("RecentKeys", () => {
  it("remembers keys until they expire", () => {
    let now = 0;
    const keys = new RecentKeys({ ttlInMs: 1000, now: () => now });
    keys.add("a");
    expect(keys.has("a")).toBe(true);
    now = 1001;
    expect(keys.has("a")).toBe(false);
    expect(keys.size).toBe(0);
  });

  it("drops the least recently added key beyond its capacity", () => {
    const keys = new RecentKeys({ maxEntries: 2 });
    keys.add("a");
    keys.add("b");
    keys.add("a");
    keys.add("c");
    expect([keys.has("a"), keys.has("b"), keys.has("c")]).toEqual([true, false, true]);
  });
});

describe("requestIdForEvent", () => {
  it("is deterministic per event and gateway", () => {
    expect(requestIdForEvent("e1", "g")).toBe(requestIdForEvent("e1", "g"));
    expect(requestIdForEvent("e1", "g")).not.toBe(requestIdForEvent("e1", "h"));
    expect(requestIdForEvent("e1", "g")).toMatch(/^evt-[0-9a-f]{32}$/);
  });
});
