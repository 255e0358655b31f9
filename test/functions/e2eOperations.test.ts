/**
 * Each message ends in exactly one final event, on real queues (Azurite) with the real engine and
 * adapters over the stand-ins: a transient failure is retried and logged as `rotation.retry`, never
 * `rotation.failed`; a rolled-back rotation is logged once as `rotation.rolled-back` and not retried.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { finalEventNames } from "../../shared/app/events.js";
import { startFleet, type Fleet } from "../standins/fleet.js";
import { appOnFleet, loadFunctions, type QueueHost } from "./hostDriver.js";

let fleet: Fleet;
let host: QueueHost;
let restore: (() => void) | undefined;

beforeAll(async () => {
  await loadFunctions();
  fleet = await startFleet({ azurite: true, rolloutStepInMs: 10, progressDeadlineInMs: 300 });
  ({ host, restore } = await appOnFleet(fleet));
}, 120_000);

afterAll(async () => {
  restore?.();
  const tokens = fleet ? fleet.tokens() : [];
  await fleet?.stop();
  const logged = host.invocations.flatMap((i) => i.logs.map((l) => l.text)).join("\n");
  for (const token of tokens) expect(logged.includes(token), "a token appeared in a log line").toBe(false);
});

beforeEach(async () => {
  for (const name of ["gateway-rotations", "gateway-rotations-poison"]) {
    await host.queue(name).createIfNotExists();
    await host.queue(name).clearMessages();
  }
  host.invocations.length = 0;
});

async function enqueue(gateway: string, requestId: string): Promise<void> {
  const message = { v: 1, gateway, reason: "manual", force: true, requestId };
  await host.queue("gateway-rotations").sendMessage(Buffer.from(JSON.stringify(message)).toString("base64"));
}

/** Each worker invocation's events (`rotation.*` names, in order, without the started line). */
function workerEvents(): string[][] {
  return host.invocations
    .filter((i) => i.functionName === "rotationWorker")
    .map((i) =>
      i.logs
        .map((l) => l.text.slice(0, l.text.indexOf(" ")))
        .filter((event) => event.startsWith("rotation.") && event !== "rotation.started"),
    );
}

function finalEvents(): string[] {
  return workerEvents()
    .flat()
    .filter((event) => (finalEventNames as readonly string[]).includes(event));
}

describe("one final event per message, on Azurite and the stand-ins", () => {
  it("a transient failure is retried and logged as rotation.retry, not rotation.failed", async () => {
    fleet.arm.failNext({ status: 503, count: Infinity, path: "generateToken", retryAfterInMs: 1 });
    await enqueue("payments", "req-transient");
    await host.pollOnce(["gateway-rotations"]);
    fleet.arm.clearFaults();
    await host.drain(60_000);

    const worker = host.invocations.filter((i) => i.functionName === "rotationWorker");
    expect(worker.map((i) => [i.dequeueCount, i.succeeded])).toEqual([
      [1, false],
      [2, true],
    ]);
    const retry = worker[0]!.logs.find((l) => l.text.startsWith("rotation.retry "));
    expect(retry?.level).toBe("warning");
    expect(JSON.parse(retry!.text.slice("rotation.retry ".length))).toMatchObject({
      gateway: "payments",
      requestId: "req-transient",
      dequeueCount: 1,
    });
    expect(finalEvents()).toEqual(["rotation.completed"]);
    expect(workerEvents().flat()).not.toContain("rotation.failed");
    const [payments] = fleet.gateways.find((g) => g.name === "payments")!.deployments;
    expect(fleet.arm.isValid(fleet.secretToken(payments!)!)).toMatchObject({ valid: true });
    expect(await host.queue("gateway-rotations-poison").peekMessages()).toMatchObject({
      peekedMessageItems: [],
    });
  });

  it("a rolled-back rotation logs rotation.rolled-back once and is not retried", async () => {
    const orders = fleet.gateways.find((g) => g.name === "orders")!;
    const [east] = orders.deployments;
    const before = fleet.secretToken(east!);
    east!.standin.stallRollouts(east!.namespace, east!.deployment);
    const patchesBefore = deploymentPatches(east!);

    await enqueue("orders", "req-rollback");
    await host.drain(60_000);

    const worker = host.invocations.filter((i) => i.functionName === "rotationWorker");
    expect(worker.map((i) => [i.dequeueCount, i.succeeded])).toEqual([[1, true]]);
    expect(finalEvents()).toEqual(["rotation.rolled-back"]);
    expect(workerEvents().flat()).not.toContain("rotation.retry");
    const line = worker[0]!.logs.find((l) => l.text.startsWith("rotation.rolled-back "));
    expect(line?.level).toBe("error");
    expect(JSON.parse(line!.text.slice("rotation.rolled-back ".length))).toMatchObject({
      gateway: "orders",
      requestId: "req-rollback",
      status: "rolled-back",
    });
    expect(fleet.secretToken(east!)).toBe(before);
    const patches = deploymentPatches(east!) - patchesBefore;
    expect(patches).toBeGreaterThanOrEqual(1);
    expect(patches, "one restart and one rollback at most").toBeLessThanOrEqual(2);
    expect(await host.queue("gateway-rotations-poison").peekMessages()).toMatchObject({
      peekedMessageItems: [],
    });
  });
});

/** Patches that changed the deployment (a restart or a rollback's restart), not dry runs. */
function deploymentPatches(deployment: Fleet["gateways"][number]["deployments"][number]): number {
  return deployment.standin.requests.filter(
    (r) =>
      r.method === "PATCH" &&
      r.resource === "deployments" &&
      r.name === deployment.deployment &&
      !r.dryRun &&
      r.status < 300,
  ).length;
}
