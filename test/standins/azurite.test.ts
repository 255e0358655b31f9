import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueClient } from "@azure/storage-queue";
import { connect } from "node:net";
import { startAzurite, type RunningAzurite } from "./azurite.js";

let azurite: RunningAzurite;

beforeAll(async () => {
  azurite = await startAzurite();
});

afterAll(async () => {
  await azurite?.stop();
});

describe("Azurite", () => {
  it("listens on loopback with a connection string for its ports", () => {
    for (const url of [azurite.blobUrl, azurite.queueUrl, azurite.tableUrl]) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
      expect(azurite.connectionString).toContain(url);
    }
  });

  it("creates a queue, sends and receives a message", async () => {
    const queue = new QueueClient(azurite.connectionString, "gateway-rotations");
    await queue.createIfNotExists();
    await queue.sendMessage(JSON.stringify({ v: 1, gateway: "gw1" }));
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 1 });
    expect(receivedMessageItems).toHaveLength(1);
    expect(JSON.parse(receivedMessageItems[0].messageText)).toEqual({ v: 1, gateway: "gw1" });
    await queue.deleteMessage(receivedMessageItems[0].messageId, receivedMessageItems[0].popReceipt);
  });

  it("stops: the ports no longer accept connections", async () => {
    const other = await startAzurite();
    const port = Number(new URL(other.queueUrl).port);
    await other.stop();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
