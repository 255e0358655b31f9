/**
 * Counts what a run asks of the stand-ins, per gateway and per service, from the calls the
 * stand-ins record (ARM and Key Vault calls, Kubernetes requests), and how many rollouts ran at
 * once per cluster. A call is put down to the gateway it names: the ARM gateway id, the Key Vault
 * secret, or the Kubernetes namespace (each benchmark gateway has its own); anything else (e.g.
 * the rollout slots' Leases in a shared namespace) is `unattributed`.
 */
import { performance } from "node:perf_hooks";
import type { Fleet } from "../../standins/fleet.js";
import type { RequestRecord, RolloutEvent } from "../../standins/kube/index.js";

/** Calls by kind (`generateToken`, `get`, `patch secrets`, ...; a failure adds its status). */
export type CallCounts = Record<string, number>;

/** Calls of one gateway (or of none) per service. */
export interface ServiceCalls {
  arm: CallCounts;
  keyVault: CallCounts;
  kube: CallCounts;
}

/** What a {@link RequestMeter} saw. */
export interface MeterReading {
  /** By gateway name. */
  gateways: Map<string, ServiceCalls>;
  unattributed: ServiceCalls;
  /** The most rollouts under way at once, per cluster (in the fleet's order). */
  maxRolloutsInFlight: number[];
  /** Rollouts finished, per cluster. */
  rollouts: number[];
}

const samplingIntervalInMs = 20;

/** Counts the stand-ins' calls from `start()` to `stop()`. */
export class RequestMeter {
  readonly #fleet: Fleet;
  readonly #gatewayNames: ReadonlySet<string>;
  #armStart = 0;
  #vaultStart = 0;
  #kubeStart: number[] = [];
  #kubeSeen: number[] = [];
  /** Requests not answered yet (a request is recorded before its verb is known). */
  #unanswered: RequestRecord[][] = [];
  readonly #patches: Array<Map<string, number[]>> = [];
  readonly #finished: Array<Array<{ key: string; at: number }>> = [];
  readonly #listeners: Array<(event: RolloutEvent) => void> = [];
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param fleet - the stand-ins to count at.
   * @param gatewayNames - the gateways calls are put down to.
   */
  constructor(fleet: Fleet, gatewayNames: ReadonlySet<string>) {
    this.#fleet = fleet;
    this.#gatewayNames = gatewayNames;
  }

  /** Starts counting (earlier calls are left out). */
  start(): void {
    const { arm, keyVault, clusters } = this.#fleet;
    this.#armStart = arm.calls.length;
    this.#vaultStart = keyVault.calls.length;
    this.#kubeStart = clusters.map((c) => c.requests.length);
    this.#kubeSeen = [...this.#kubeStart];
    this.#unanswered = clusters.map(() => []);
    clusters.forEach((cluster, i) => {
      this.#patches[i] = new Map();
      this.#finished[i] = [];
      const listener = (event: RolloutEvent) => {
        this.#sample();
        this.#finished[i]!.push({ key: `${event.namespace}/${event.name}`, at: performance.now() });
      };
      this.#listeners[i] = listener;
      cluster.events.on("rollout", listener);
    });
    this.#timer = setInterval(() => this.#sample(), samplingIntervalInMs);
  }

  /** Stops counting. */
  stop(): MeterReading {
    clearInterval(this.#timer);
    this.#sample();
    const { arm, keyVault, clusters } = this.#fleet;
    clusters.forEach((cluster, i) => cluster.events.off("rollout", this.#listeners[i]!));
    const gateways = new Map<string, ServiceCalls>();
    const unattributed = emptyCalls();
    const callsOf = (name: string | undefined): ServiceCalls => {
      if (!name || !this.#gatewayNames.has(name)) return unattributed;
      let calls = gateways.get(name);
      if (!calls) gateways.set(name, (calls = emptyCalls()));
      return calls;
    };
    for (const call of arm.calls.slice(this.#armStart)) {
      add(callsOf(call.gatewayId?.replace(/-gw$/, "")).arm, kind(call.operation, call.status));
    }
    for (const call of keyVault.calls.slice(this.#vaultStart)) {
      add(
        callsOf(call.secretName?.replace(/-gateway-token$/, "")).keyVault,
        kind(call.operation, call.status),
      );
    }
    clusters.forEach((cluster, i) => {
      for (const request of cluster.requests.slice(this.#kubeStart[i])) {
        const what = request.verb
          ? `${request.verb} ${request.resource}`
          : `${request.method} ${request.path}`;
        add(callsOf(request.namespace).kube, kind(what, request.status));
      }
    });
    return {
      gateways,
      unattributed,
      maxRolloutsInFlight: clusters.map((_, i) => peakOverlap(this.#intervals(i))),
      rollouts: this.#finished.map((f) => f.length),
    };
  }

  /** Timestamps the Deployment patches answered since the last sample. */
  #sample(): void {
    const now = performance.now();
    this.#fleet.clusters.forEach((cluster, i) => {
      const requests = cluster.requests;
      for (let r = this.#kubeSeen[i]!; r < requests.length; r++) this.#unanswered[i]!.push(requests[r]!);
      this.#kubeSeen[i] = requests.length;
      this.#unanswered[i] = this.#unanswered[i]!.filter((request) => {
        if (request.status === 0) return true;
        if (request.verb === "patch" && request.resource === "deployments") {
          const key = `${request.namespace}/${request.name}`;
          this.#patches[i]!.set(key, [...(this.#patches[i]!.get(key) ?? []), now]);
        }
        return false;
      });
    });
  }

  /**
   * Each finished rollout ran from the last patch of its Deployment before it finished (a
   * server-side dry run patches too, but earlier) to its `rollout` event.
   */
  #intervals(cluster: number): Array<[number, number]> {
    return this.#finished[cluster]!.flatMap(({ key, at }) => {
      const started = (this.#patches[cluster]!.get(key) ?? []).filter((t) => t <= at).at(-1);
      return started === undefined ? [] : [[started, at] as [number, number]];
    });
  }
}

function emptyCalls(): ServiceCalls {
  return { arm: {}, keyVault: {}, kube: {} };
}

function kind(what: string, status: number): string {
  return status >= 400 ? `${what} (${status})` : what;
}

function add(counts: CallCounts, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** The most intervals that overlap at one instant. */
export function peakOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const edges = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let current = 0;
  let peak = 0;
  for (const [, delta] of edges) peak = Math.max(peak, (current += delta!));
  return peak;
}
