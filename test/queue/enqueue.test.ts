import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueServiceClient } from "@azure/storage-queue";
import { createQueueClient, RotationQueue } from "../../shared/queue/enqueue.js";
import { decodeRotationMessage } from "../../shared/queue/message.js";
import { startAzurite, type RunningAzurite } from "../standins/azurite.js";
import { MemoryQueueClient } from "../functions/helpers.js";

const message = { v: 1, gateway: "contoso-eu", reason: "schedule", force: false, requestId: "r-1" } as const;

describe("RotationQueue (in memory)", () => {
  it("sends base64 JSON by default and plain JSON when told to", async () => {
    const client = new MemoryQueueClient();
    await new RotationQueue(client).send(message);
    expect(JSON.parse(Buffer.from(client.sent[0]!, "base64").toString("utf8"))).toEqual(message);
    const plain = new MemoryQueueClient();
    await new RotationQueue(plain, { messageEncoding: "none" }).send(message);
    expect(JSON.parse(plain.sent[0]!)).toEqual(message);
  });

  it("sends one message for repeated deliveries of one event, with a request id derived from it", async () => {
    const client = new MemoryQueueClient();
    const queue = new RotationQueue(client);
    const first = await queue.send({ ...message, requestId: "random-1" }, { eventId: "evt-1" });
    const second = await queue.send({ ...message, requestId: "random-2" }, { eventId: "evt-1" });
    expect(first).toEqual({ requestId: second.requestId, duplicate: false });
    expect(second.duplicate).toBe(true);
    expect(client.messages()).toEqual([{ ...message, requestId: first.requestId }]);
    await queue.send(message, { eventId: "evt-2" });
    await queue.send({ ...message, gateway: "contoso-us" }, { eventId: "evt-1" });
    expect(client.sent).toHaveLength(3);
  });

  it("sends one message for two concurrent deliveries of one event", async () => {
    const client = new MemoryQueueClient();
    const queue = new RotationQueue(client);
    const results = await Promise.all([
      queue.send({ ...message, requestId: "random-1" }, { eventId: "evt-1" }),
      queue.send({ ...message, requestId: "random-2" }, { eventId: "evt-1" }),
    ]);
    expect(results.map((r) => r.duplicate)).toEqual([false, true]);
    expect(client.sent).toHaveLength(1);
  });

  it("does not remember an event whose send failed, so the redelivery goes through", async () => {
    const client = new MemoryQueueClient();
    const queue = new RotationQueue(client);
    client.failWith = new Error("503");
    await expect(queue.send(message, { eventId: "e" })).rejects.toThrow("503");
    client.failWith = undefined;
    expect((await queue.send(message, { eventId: "e" })).duplicate).toBe(false);
    expect(client.sent).toHaveLength(1);
  });
});

describe("RotationQueue on Azurite", () => {
  let azurite: RunningAzurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it("puts a base64 message on the real queue that decodes to the message", async () => {
    const client = await createQueueClient(
      { kind: "connectionString", connectionString: azurite.connectionString },
      "enqueue-test",
    );
    const queue = new RotationQueue(client);
    await queue.ensureExists();
    await queue.send(message);
    const peeked = await QueueServiceClient.fromConnectionString(azurite.connectionString)
      .getQueueClient("enqueue-test")
      .peekMessages({ numberOfMessages: 5 });
    expect(peeked.peekedMessageItems).toHaveLength(1);
    const text = Buffer.from(peeked.peekedMessageItems[0]!.messageText, "base64").toString("utf8");
    expect(decodeRotationMessage(text)).toEqual(message);
  });

  it("keeps a delayed message invisible: counted on the queue, not received until its delay has passed", async () => {
    const client = await createQueueClient(
      { kind: "connectionString", connectionString: azurite.connectionString },
      "enqueue-delay-test",
    );
    const queue = new RotationQueue(client);
    await queue.ensureExists();
    await queue.send({ ...message, requestId: "later" }, { delayInSeconds: 600 });
    await queue.send({ ...message, requestId: "now" });
    const raw = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(
      "enqueue-delay-test",
    );
    expect((await raw.getProperties()).approximateMessagesCount).toBe(2);
    const peeked = await raw.peekMessages({ numberOfMessages: 5 });
    expect(
      peeked.peekedMessageItems.map(
        (m) => decodeRotationMessage(Buffer.from(m.messageText, "base64").toString("utf8")).requestId,
      ),
    ).toEqual(["now"]);
  });

  it("refuses a delay the queue cannot hold, before sending", async () => {
    const client = new MemoryQueueClient();
    const queue = new RotationQueue(client);
    await expect(queue.send(message, { delayInSeconds: 7 * 24 * 3600 + 1 })).rejects.toThrow(
      "delayInSeconds must be a whole number from 0 to 604800, got 604801",
    );
    await expect(queue.send(message, { delayInSeconds: 1.5 })).rejects.toThrow(RangeError);
    expect(client.sent).toEqual([]);
  });
});
