/**
 * The host model's queue listener (hostDriver.ts), which the fleet benchmark's figures rest on:
 * batches of `batchSize` while no more than `newBatchThreshold` messages run, as the WebJobs
 * queue listener documents.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type RunningAzurite } from "../standins/azurite.js";
import type { Registration } from "./fakeCore.js";
import { hostJsonQueueSettings, QueueHost } from "./hostDriver.js";

let azurite: RunningAzurite;

beforeAll(async () => {
  azurite = await startAzurite();
}, 60_000);

afterAll(async () => {
  await azurite.stop();
});

/** A queue function whose invocations stay open until the test lets them end. */
function heldFunction(queueName: string) {
  const open: Array<() => void> = [];
  const inFlight: number[] = [];
  let started = 0;
  let holding = true;
  const registration: Registration = {
    name: "held",
    bindings: { message: { type: "queueTrigger", direction: "in", queueName } },
    callback: () =>
      new Promise<void>((resolve) => {
        started += 1;
        inFlight.push(open.length + 1);
        if (holding) open.push(resolve);
        else resolve();
      }),
  };
  const endOne = () => open.shift()?.();
  /** Ends every open invocation, and every later one at once. */
  const letGo = () => {
    holding = false;
    while (open.length > 0) endOne();
  };
  return { registration, inFlight, endOne, letGo, started: () => started, open: () => open.length };
}

describe("QueueHost.listen", () => {
  it("receives a batch while at most newBatchThreshold run, so between the threshold and threshold + batchSize run at once", async () => {
    const queueName = "listen-band";
    const fn = heldFunction(queueName);
    const host = new QueueHost(azurite.connectionString, [fn.registration], {
      ...hostJsonQueueSettings(),
      batchSize: 4,
      newBatchThreshold: 2,
      messageEncoding: "none",
    });
    const queue = host.queue(queueName);
    await queue.createIfNotExists();
    for (let i = 0; i < 20; i++) await queue.sendMessage(`{"n":${i}}`);

    const runningAtReceive: number[] = [];
    const listening = host.listen(queueName, {
      idlePollInMs: 5,
      onReceive: (running) => runningAtReceive.push(running),
    });
    await expect.poll(fn.started).toBe(4);
    expect(fn.open()).toBe(4);
    fn.endOne();
    await expect.poll(fn.open).toBe(3);
    fn.endOne();
    await expect.poll(fn.started).toBe(8);
    expect(fn.open()).toBe(6);
    fn.letGo();
    expect(await listening).toEqual({ mostInFlight: 6 });
    expect(Math.max(...fn.inFlight)).toBe(6);
    expect(fn.started()).toBe(20);
    expect(runningAtReceive.every((running) => running <= 2)).toBe(true);
    expect(runningAtReceive).toContain(2);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
  });
});
