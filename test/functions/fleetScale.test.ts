/**
 * Behaviour at scale, on Azurite and the stand-ins with the real engine and adapters:
 * - the timer spreads a run over ROTATION_SPREAD_IN_MINUTES (queue visibility delays, the same
 *   every run); on-demand rotations are not delayed;
 * - under a 429 storm from ARM or from a cluster, the fleet slows down and finishes: every gateway
 *   ends `rotation.completed`, nothing is poisoned;
 * - with one rollout slot per cluster, two gateways' rollouts in one cluster never overlap, whichever
 *   instance runs them (from the stand-in's record of restarts and finished rollouts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HttpRequest } from "@azure/functions";
import { finalEventNames } from "../../shared/app/events.js";
import { spreadDelayInSeconds } from "../../shared/app/schedule.js";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import type { KubeStandin, RolloutEvent } from "../standins/kube/index.js";
import { startFleet, type Fleet, type FleetGatewaySpec } from "../standins/fleet.js";
import { captureContext } from "./helpers.js";
import { appOnFleet, loadFunctions, type Handler, type QueueHost } from "./hostDriver.js";

const queueName = "gateway-rotations";

/** Three due gateways (two sharing a namespace of cluster 0, one in both clusters) and a fresh one. */
const gateways: FleetGatewaySpec[] = [
  {
    name: "due-1",
    keyType: "primary",
    expiresInDays: 3,
    deployments: [{ cluster: 0, namespace: "apim", deployment: "due-1-gateway", layout: "portal" }],
  },
  {
    name: "due-2",
    keyType: "primary",
    expiresInDays: 3,
    deployments: [{ cluster: 0, namespace: "apim", deployment: "due-2-gateway", layout: "helm" }],
  },
  {
    name: "due-3",
    keyType: "secondary",
    expiresInDays: 2,
    deployments: [
      { cluster: 1, namespace: "apim", deployment: "due-3-gateway", layout: "portal" },
      { cluster: 0, namespace: "edge", deployment: "due-3-gateway", layout: "helm" },
    ],
  },
  {
    name: "fresh-1",
    keyType: "primary",
    expiresInDays: 25,
    deployments: [{ cluster: 1, namespace: "apim", deployment: "fresh-1-gateway", layout: "portal" }],
  },
];

let fleet: Fleet;
let handlers: Record<string, Handler>;
let host: QueueHost;
let restore: (() => void) | undefined;
const output: string[] = [];

beforeAll(async () => {
  handlers = await loadFunctions();
  fleet = await startFleet({ azurite: true, rolloutStepInMs: 10, gateways });
}, 120_000);

afterAll(async () => {
  const tokens = fleet ? fleet.tokens() : [];
  await fleet?.stop();
  const logged = [...output, ...(host?.invocations ?? []).flatMap((i) => i.logs.map((l) => l.text))];
  for (const token of tokens) expect(logged.join("\n").includes(token), "a token was logged").toBe(false);
});

beforeEach(async () => {
  restore?.();
  ({ host, restore } = await appOnFleet(fleet));
  for (const name of [queueName, `${queueName}-poison`]) {
    await host.queue(name).createIfNotExists();
    await host.queue(name).clearMessages();
  }
  fleet.arm.clearFaults();
  for (const cluster of fleet.clusters) cluster.clearFaults();
});

async function runTimer(): Promise<Record<string, unknown>> {
  const { context, log } = captureContext("rotationSchedule");
  await handlers.rotationSchedule!({ isPastDue: false } as never, context as never);
  output.push(log.text());
  return log.events("rotation.scheduled")[0]!;
}

async function enqueueForced(gateway: string, requestId: string): Promise<void> {
  const message = { v: 1, gateway, reason: "manual", force: true, requestId };
  await host.queue(queueName).sendMessage(Buffer.from(JSON.stringify(message)).toString("base64"));
}

/** The final event of every worker invocation that ended its message, by gateway. */
function finalEventsByGateway(): Record<string, string[]> {
  const ended: Record<string, string[]> = {};
  for (const invocation of host.invocations.filter((i) => i.functionName === "rotationWorker")) {
    for (const line of invocation.logs) {
      const event = line.text.slice(0, line.text.indexOf(" "));
      if (!(finalEventNames as readonly string[]).includes(event)) continue;
      const { gateway } = JSON.parse(line.text.slice(event.length + 1)) as { gateway: string };
      (ended[gateway] ??= []).push(event);
    }
  }
  return ended;
}

function loggedEvents(name: string): string[] {
  return host.invocations.flatMap((i) => i.logs.map((l) => l.text)).filter((t) => t.startsWith(`${name} `));
}

async function poisoned(): Promise<number> {
  return (await host.queue(`${queueName}-poison`).peekMessages({ numberOfMessages: 32 })).peekedMessageItems
    .length;
}

describe("spreading a scheduled run", () => {
  it("delays each gateway's message by its own delay within the window, the same every run; the queue holds them invisible", async () => {
    restore?.();
    ({ host, restore } = await appOnFleet(fleet, { ROTATION_SPREAD_IN_MINUTES: "60" }));
    const first = await runTimer();
    const second = await runTimer();
    expect(first.spreadInMinutes).toBe(60);
    const delays = first.gateways as Array<{ name: string; delayInSeconds: number }>;
    expect(second.gateways).toEqual(delays);
    expect(delays.map((d) => d.delayInSeconds)).toEqual(
      gateways.map((g) => spreadDelayInSeconds(g.name, 60)),
    );
    for (const { delayInSeconds } of delays) {
      expect(delayInSeconds).toBeGreaterThanOrEqual(0);
      expect(delayInSeconds).toBeLessThan(3600);
    }
    expect(new Set(delays.map((d) => d.delayInSeconds)).size).toBe(gateways.length);

    const queue = host.queue(queueName);
    expect((await queue.getProperties()).approximateMessagesCount).toBe(2 * gateways.length);
    const visibleAtOnce = delays.filter((d) => d.delayInSeconds === 0).length;
    expect((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems).toHaveLength(
      2 * visibleAtOnce,
    );
    expect(await host.pollOnce([queueName])).toBe(2 * visibleAtOnce);
  });

  it("does not delay a rotation asked for on demand", async () => {
    restore?.();
    ({ host, restore } = await appOnFleet(fleet, { ROTATION_SPREAD_IN_MINUTES: "60" }));
    const { context, log } = captureContext("rotationWebhook");
    const request = new HttpRequest({
      method: "POST",
      url: "http://localhost/api/rotations",
      body: { string: JSON.stringify({ gateway: "fresh-1" }) },
    });
    const response = (await handlers.rotationWebhook!(request as never, context as never)) as {
      status: number;
    };
    output.push(log.text());
    expect(response.status).toBe(202);
    const peeked = await host.queue(queueName).peekMessages({ numberOfMessages: 32 });
    expect(peeked.peekedMessageItems).toHaveLength(1);
  });
});

describe("throttling", () => {
  it("a 429 storm from ARM (Retry-After) slows the run down; every gateway completes, nothing is poisoned", async () => {
    fleet.arm.failNext({ status: 429, count: 20, path: "generateToken", retryAfterInSeconds: 0 });
    await runTimer();
    await host.drain(90_000);

    const throttled = fleet.arm.calls.filter((c) => c.operation === "generateToken" && c.status === 429);
    expect(throttled).toHaveLength(20);
    expect(loggedEvents("rotation.retry").length).toBeGreaterThan(0);
    expect(finalEventsByGateway()).toEqual({
      "due-1": ["rotation.completed"],
      "due-2": ["rotation.completed"],
      "due-3": ["rotation.completed"],
      "fresh-1": ["rotation.completed"],
    });
    for (const gateway of fleet.gateways) {
      for (const d of gateway.deployments) {
        expect(fleet.arm.isValid(fleet.secretToken(d)!)).toMatchObject({ valid: true });
      }
    }
    expect(await poisoned()).toBe(0);
  });

  it("a cluster answering 429 to Secret patches slows the run down; every gateway completes, nothing is poisoned", async () => {
    const east = fleet.clusters[0]!;
    east.failNext({
      status: 429,
      count: 12,
      verb: "patch",
      resource: "secrets",
      dryRun: false,
      retryAfterInSeconds: 0,
    });
    for (const name of ["due-1", "due-2", "due-3"]) await enqueueForced(name, `req-${name}`);
    await host.drain(90_000);

    const throttled = east.requests.filter((r) => r.resource === "secrets" && r.status === 429);
    expect(throttled).toHaveLength(12);
    expect(loggedEvents("rotation.retry").length).toBeGreaterThan(0);
    expect(finalEventsByGateway()).toEqual({
      "due-1": ["rotation.completed"],
      "due-2": ["rotation.completed"],
      "due-3": ["rotation.completed"],
    });
    expect(await poisoned()).toBe(0);
  });
});

describe("the per-cluster rollout cap", () => {
  it("with one slot, two gateways' rollouts in one cluster never overlap, across two instances", async () => {
    const east = fleet.clusters[0]!;
    const config = await fleet.loadConfig();
    const instances = await Promise.all(
      ["instance-a", "instance-b"].map((lockIdentity) =>
        fleet.connect({ lockIdentity, rolloutSlots: { slots: 1, waitInMs: 20, maxWaitInMs: 50 } })(config),
      ),
    );
    const record = rolloutRecord(east);
    const outcomes = await Promise.all(
      ["due-1", "due-2"].map((name, i) => {
        const gateway = config.gateways.find((g) => g.name === name)!;
        return rotateGateway(gateway, instances[i]!.rotationDeps(gateway), { force: true });
      }),
    );
    record.stop();
    expect(outcomes.map((o) => o.status)).toEqual(["rotated", "rotated"]);
    const rollouts = record.intervals();
    expect(rollouts.map((r) => r.deployment).sort()).toEqual(["due-1-gateway", "due-2-gateway"]);
    const [a, b] = rollouts;
    expect(a!.end, "the second rollout started before the first one finished").toBeLessThanOrEqual(b!.start);
    expect(east.list("Lease", "apim").map((l) => l.metadata.name)).toContain("gateway-guard-rollouts.0");
  });
});

/**
 * Each rollout in a cluster as an interval of its request record: from the restart patch to the
 * rollout's end (the stand-in's `rollout` event), in order of start.
 */
function rolloutRecord(cluster: KubeStandin) {
  const from = cluster.requests.length;
  const ends: Array<{ deployment: string; at: number }> = [];
  const onRollout = (event: RolloutEvent) =>
    ends.push({ deployment: event.name, at: cluster.requests.length });
  cluster.events.on("rollout", onRollout);
  return {
    stop: () => cluster.events.off("rollout", onRollout),
    intervals: () =>
      cluster.requests
        .map((r, at) => ({ ...r, at }))
        .filter(
          (r) =>
            r.at >= from &&
            r.method === "PATCH" &&
            r.resource === "deployments" &&
            !r.dryRun &&
            r.status < 300,
        )
        .map((r) => ({
          deployment: r.name!,
          start: r.at,
          end: ends.find((e) => e.deployment === r.name && e.at > r.at)?.at ?? Number.POSITIVE_INFINITY,
        })),
  };
}
