import { describe, expect, it } from "vitest";
import { mapWithConcurrency } from "../../shared/live/concurrency.js";

/** A promise with its resolve function, to finish work in a chosen order. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("mapWithConcurrency", () => {
  it("keeps the items' order when they finish in reverse, with never more than the limit in flight", async () => {
    const items = Array.from({ length: 7 }, (_, i) => i);
    const gates = items.map(() => deferred());
    const started: number[] = [];
    let inFlight = 0;
    let peak = 0;
    const result = mapWithConcurrency(items, 3, async (item) => {
      started.push(item);
      peak = Math.max(peak, ++inFlight);
      await gates[item]!.promise;
      inFlight--;
      return `item ${item}`;
    });
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    for (const item of [...items].reverse()) gates[item]!.resolve();
    expect(await result).toEqual(items.map((i) => `item ${i}`));
    expect(peak).toBe(3);
    expect(started).toHaveLength(7);
  });

  it("handles an empty list and a limit above the list's length", async () => {
    expect(await mapWithConcurrency([], 8, async () => 1)).toEqual([]);
    expect(await mapWithConcurrency(["a", "b"], 8, async (item, index) => `${index}${item}`)).toEqual([
      "0a",
      "1b",
    ]);
  });

  it("rejects with the first failure", async () => {
    await expect(
      mapWithConcurrency([1, 2, 3], 2, async (item) => {
        if (item === 2) throw new Error("item 2 failed");
        return item;
      }),
    ).rejects.toThrow("item 2 failed");
  });
});
