import { EventEmitter, once } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeGatewayCluster } from "../../shared/kube/cluster.js";
import { LeaseRolloutSlots, type LeaseRolloutSlotsOptions } from "../../shared/kube/rolloutSlots.js";
import type { DeploymentTarget } from "../../shared/config/types.js";
import type { RolloutSlotWait } from "../../shared/rotation/types.js";
import { startKubeStandin, type KubeStandin } from "../standins/kube/index.js";
import { kubeConfigOf, recordedRetry } from "./fixtures.js";

let standin: KubeStandin;
let cluster: KubeGatewayCluster;

const target = (namespace: string, deployment: string): DeploymentTarget => ({
  cluster: { type: "kubeconfig", context: "east" },
  namespace,
  deployment,
});

function slots(options: Partial<LeaseRolloutSlotsOptions> = {}): LeaseRolloutSlots {
  return new LeaseRolloutSlots({
    clusterFor: () => cluster,
    renewIntervalInMs: 0,
    retry: recordedRetry().retry,
    waitInMs: 5,
    maxWaitInMs: 20,
    ...options,
  });
}

/** The holders of the slot Leases in a namespace, by Lease name. */
function holders(namespace: string): Record<string, unknown> {
  return Object.fromEntries(
    standin
      .list("Lease", namespace)
      .map((lease) => [lease.metadata.name, (lease.spec as { holderIdentity?: string }).holderIdentity]),
  );
}

/** Resolves at the limiter's first `onWait`. */
function firstWait(): { onWait: (wait: RolloutSlotWait) => void; waited: Promise<RolloutSlotWait> } {
  let onWait!: (wait: RolloutSlotWait) => void;
  const waited = new Promise<RolloutSlotWait>((resolve) => (onWait = resolve));
  return { onWait, waited };
}

beforeEach(async () => {
  standin = await startKubeStandin({ namespaces: ["apim", "payments", "gateway-guard"] });
  cluster = new KubeGatewayCluster({ config: kubeConfigOf(standin) });
});

afterEach(async () => {
  await standin.close();
});

describe("LeaseRolloutSlots", () => {
  it("holds N Leases gateway-guard-rollouts.<i> in the deployment's namespace; the N+1th waits for a release", async () => {
    const limiter = slots({ slots: 2, identity: "worker-a" });
    const first = await limiter.acquire(target("apim", "gw-1"));
    const [firstSlot] = Object.keys(holders("apim"));
    const second = await limiter.acquire(target("apim", "gw-2"));
    expect(Object.keys(holders("apim")).sort()).toEqual([
      "gateway-guard-rollouts.0",
      "gateway-guard-rollouts.1",
    ]);
    expect(Object.values(holders("apim")).every((h) => String(h).startsWith("worker-a-"))).toBe(true);

    const { onWait, waited } = firstWait();
    const third = slots({ slots: 2, identity: "worker-b", random: () => 0.5 }).acquire(
      target("apim", "gw-3"),
      {
        onWait,
      },
    );
    expect(await waited).toEqual({ scope: "east/apim", slots: 2, retryInMs: 5 });
    await second.release();
    await third;
    const secondSlot =
      firstSlot === "gateway-guard-rollouts.0" ? "gateway-guard-rollouts.1" : "gateway-guard-rollouts.0";
    expect(holders("apim")[secondSlot]).toMatch(/^worker-b-/);
    expect(holders("apim")[firstSlot]).toMatch(/^worker-a-/);
    await first.release();
  });

  it("never lets more than N hold a slot while many wait, and serves them all", async () => {
    const held = new Set<string>();
    let most = 0;
    let waiting = 12;
    const lookedFull = new EventEmitter();
    const onWait = () => lookedFull.emit("full");
    const rollout = async (i: number) => {
      const limiter = slots({ slots: 3, identity: `worker-${i}` });
      const slot = await limiter.acquire(target("apim", `gw-${i}`), { onWait });
      held.add(`gw-${i}`);
      most = Math.max(most, held.size);
      waiting--;
      if (waiting === 0) lookedFull.emit("full");
      else await once(lookedFull, "full");
      held.delete(`gw-${i}`);
      await slot.release();
    };
    await Promise.all(Array.from({ length: 12 }, (_, i) => rollout(i)));
    expect(most).toBe(3);
  });

  it("starts each look at a random slot and draws each wait within 25% of the backoff", async () => {
    const draws = [0.99, 0, 0.99];
    const limiter = slots({ slots: 3, random: () => draws.shift() ?? 0.5, waitInMs: 100 });
    await limiter.acquire(target("apim", "gw-1"));
    expect(Object.keys(holders("apim"))).toEqual(["gateway-guard-rollouts.2"]);

    await limiter.acquire(target("apim", "gw-2"));
    expect(Object.keys(holders("apim")).sort()).toEqual([
      "gateway-guard-rollouts.0",
      "gateway-guard-rollouts.2",
    ]);

    await limiter.acquire(target("apim", "gw-3"));
    const { onWait, waited } = firstWait();
    const abort = new AbortController();
    const blocked = limiter.acquire(target("apim", "gw-4"), { onWait, abortSignal: abort.signal });
    expect((await waited).retryInMs).toBe(100);
    abort.abort(new Error("deadline"));
    await expect(blocked).rejects.toThrow("deadline");
  });

  it("counts per namespace by default, and per cluster with a slots namespace", async () => {
    const perNamespace = slots({ slots: 1 });
    await perNamespace.acquire(target("apim", "gw-1"));
    await perNamespace.acquire(target("payments", "gw-2"));
    expect(Object.keys(holders("payments"))).toEqual(["gateway-guard-rollouts.0"]);

    const perCluster = slots({ slots: 1, namespace: "gateway-guard" });
    await perCluster.acquire(target("apim", "gw-1"));
    const { onWait, waited } = firstWait();
    const abort = new AbortController();
    const blocked = perCluster.acquire(target("payments", "gw-2"), { onWait, abortSignal: abort.signal });
    expect((await waited).scope).toBe("east/gateway-guard");
    abort.abort(new Error("deadline"));
    await expect(blocked).rejects.toThrow("deadline");
  });

  it("a crashed holder's slot frees once its Lease expires on the clock", async () => {
    let now = new Date("2026-01-01T03:00:00Z");
    const clock = () => now;
    await slots({ slots: 1, identity: "crashed", now: clock, ttlInMs: 60_000 }).acquire(
      target("apim", "gw-1"),
    );

    const { onWait, waited } = firstWait();
    const next = slots({ slots: 1, identity: "survivor", now: clock, ttlInMs: 60_000 }).acquire(
      target("apim", "gw-2"),
      { onWait },
    );
    await waited;
    now = new Date(now.getTime() + 61_000);
    await next;
    expect(holders("apim")["gateway-guard-rollouts.0"]).toMatch(/^survivor-/);
  });

  it("hands a released slot to a waiter of the same process, still holding its Lease and with no call", async () => {
    const limiter = slots({ slots: 1, waitInMs: 60_000, maxWaitInMs: 60_000 });
    const first = await limiter.acquire(target("apim", "gw-1"));
    const holder = holders("apim")["gateway-guard-rollouts.0"];
    const { onWait, waited } = firstWait();
    const second = limiter.acquire(target("apim", "gw-2"), { onWait });
    await waited;

    const callsBefore = standin.requests.length;
    await first.release();
    const handed = await second;
    expect(standin.requests.length).toBe(callsBefore);
    expect(holders("apim")["gateway-guard-rollouts.0"]).toBe(holder);

    await handed.release();
    expect(holders("apim")["gateway-guard-rollouts.0"]).toBeUndefined();
  });

  it("serves this process's waiters in arrival order, and releases the Lease after maxHandOvers in a row", async () => {
    const limiter = slots({ slots: 1, waitInMs: 60_000, maxWaitInMs: 60_000, maxHandOvers: 1 });
    const first = await limiter.acquire(target("apim", "gw-1"));
    const abort = new AbortController();
    const parked = async (deployment: string) => {
      const { onWait, waited } = firstWait();
      const slot = limiter.acquire(target("apim", deployment), { onWait, abortSignal: abort.signal });
      await waited;
      return { slot };
    };
    const { slot: second } = await parked("gw-2");
    const { slot: third } = await parked("gw-3");
    let thirdServed = false;
    third.then(
      () => (thirdServed = true),
      () => {},
    );

    await first.release();
    const secondSlot = await second;
    expect(thirdServed).toBe(false);
    await secondSlot.release();
    expect(holders("apim")["gateway-guard-rollouts.0"]).toBeUndefined();

    abort.abort(new Error("deadline"));
    await expect(third).rejects.toThrow("deadline");
  });

  it("a waiter that looked again keeps its place: the slot goes to the first to ask", async () => {
    const limiter = slots({ slots: 1, waitInMs: 5, maxWaitInMs: 5 });
    const held = await limiter.acquire(target("apim", "gw-0"));
    const looks = (count: number) => {
      let seen = 0;
      let reached!: () => void;
      const reachedAll = new Promise<void>((resolve) => (reached = resolve));
      return { onWait: () => void (++seen === count && reached()), reachedAll };
    };
    const abort = new AbortController();
    const firstLooks = looks(3);
    const first = limiter.acquire(target("apim", "gw-1"), {
      onWait: firstLooks.onWait,
      abortSignal: abort.signal,
    });
    const secondLooks = looks(1);
    const second = limiter.acquire(target("apim", "gw-2"), {
      onWait: secondLooks.onWait,
      abortSignal: abort.signal,
    });
    let secondServed = false;
    second.then(
      () => (secondServed = true),
      () => {},
    );
    await secondLooks.reachedAll;
    await firstLooks.reachedAll;

    await held.release();
    await first;
    expect(secondServed).toBe(false);
    abort.abort(new Error("done"));
  });

  it("a look skips the slots this process holds: while it holds them all, its waiters make no call", async () => {
    const limiter = slots({ slots: 2 });
    const first = await limiter.acquire(target("apim", "gw-1"));
    await limiter.acquire(target("apim", "gw-2"));
    const callsBefore = standin.requests.length;
    let looks = 0;
    let onThirdLook!: () => void;
    const lookedThrice = new Promise<void>((resolve) => (onThirdLook = resolve));
    const third = limiter.acquire(target("apim", "gw-3"), {
      onWait: () => void (++looks === 3 && onThirdLook()),
    });
    await lookedThrice;
    expect(standin.requests.length).toBe(callsBefore);

    await first.release();
    await third;
    expect(standin.requests.length).toBe(callsBefore);
  });

  it("a parked waiter that gives up leaves the queue: the next release frees the Lease", async () => {
    const limiter = slots({ slots: 1, waitInMs: 60_000, maxWaitInMs: 60_000 });
    const first = await limiter.acquire(target("apim", "gw-1"));
    const { onWait, waited } = firstWait();
    const abort = new AbortController();
    const blocked = limiter.acquire(target("apim", "gw-2"), { onWait, abortSignal: abort.signal });
    await waited;
    abort.abort(new Error("deadline"));
    await expect(blocked).rejects.toThrow("deadline");

    await first.release();
    expect(holders("apim")["gateway-guard-rollouts.0"]).toBeUndefined();
  });

  it("a 403 on the Leases is thrown, not waited on", async () => {
    standin.forbid({ resource: "leases", namespace: "apim" });
    await expect(slots().acquire(target("apim", "gw-1"))).rejects.toMatchObject({
      name: "PermissionDeniedError",
    });
  });
});
