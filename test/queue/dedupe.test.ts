import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
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

describe("RecentKeys memory", () => {
  it("keeps a fixed-size digest, not the id: 200 ids of 250 KB add far less than their 50 MB", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const keys = new RecentKeys();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) keys.add(`${i}-`.padEnd(250_000, "x"));
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(keys.size).toBe(200);
    expect(keys.has(`7-`.padEnd(250_000, "x"))).toBe(true);
    expect(grown).toBeLessThan(5 * 1024 * 1024);
  });
});

describe("requestIdForEvent", () => {
  it("is deterministic per event and gateway", () => {
    expect(requestIdForEvent("e1", "g")).toBe(requestIdForEvent("e1", "g"));
    expect(requestIdForEvent("e1", "g")).not.toBe(requestIdForEvent("e1", "h"));
    expect(requestIdForEvent("e1", "g")).toMatch(/^evt-[0-9a-f]{32}$/);
  });
});
