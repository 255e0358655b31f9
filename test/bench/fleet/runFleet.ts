/**
 * The fleet benchmark's run: a fleet of gateways seeded into the stand-ins (ARM, Key Vault, several
 * Kubernetes clusters, Azurite), latency on every call and a rollout time, then
 * 1. a sample rotated one by one (one message at a time through the same worker), to extrapolate
 *    what the whole fleet would take one by one;
 * 2. the whole fleet through the real path: the timer's fan-out onto the queue, the worker under
 *    host.json's queue listener settings on each instance, the stand-ins counting every call.
 */
import { join } from "node:path";
import { startFleet, type FleetGatewaySpec } from "../../standins/fleet.js";
import type { HostInvocation, HostReport } from "./host.js";
import { runHosts } from "./hostProcess.js";
import { RequestMeter, type CallCounts, type ServiceCalls } from "./meter.js";
import { seedGateways, writeFleetConfig } from "./seed.js";
import { fleetShape, isDue } from "./shape.js";

/** Options of {@link runFleet}. */
export interface FleetRunOptions {
  gateways: number;
  /** Stand-in clusters. */
  clusters: number;
  /** Added to every ARM, Key Vault and Kubernetes call. */
  latencyInMs: number;
  /** How long a 3-replica rollout takes in the stand-in clusters. */
  rolloutInMs: number;
  /** Gateways rotated one by one per kind (due or fresh, 1 to 3 deployments); 0 skips it. Default 2. */
  soloPerKind?: number;
  /** Messages each instance receives at once; default host.json's `batchSize`. */
  batchSize?: number;
  /** The most messages running on an instance when it receives more; default host.json's `newBatchThreshold`. */
  newBatchThreshold?: number;
  /** Functions instances draining the queue together in the fleet run (the one-by-one sample uses one). Default 1. */
  instances?: number;
  /**
   * App settings of the instance; `ROTATION_SPREAD_IN_MINUTES` defaults to 0 (the run measures
   * throughput); `ROTATION_SLOTS_NAMESPACE` is created in every cluster.
   */
  appSettings?: Record<string, string>;
}

/** Average calls of one kind of gateway. */
export interface KindCalls {
  gateways: number;
  deployments: number;
  /** Average per gateway, per service and call kind. */
  perGateway: ServiceCalls;
  /** Kubernetes calls per deployment (the gateway's total over its deployments). */
  kubePerDeployment: CallCounts;
}

/** Mean invocation time of due and of fresh gateways. */
export interface MeanInvocation {
  due: number;
  fresh: number;
}

/** What a run measured. */
export interface FleetRunResult {
  options: FleetRunOptions & { soloPerKind: number; instances: number; appSettings: Record<string, string> };
  /** The queue listener's `batchSize` and `newBatchThreshold` on each instance. */
  listener: { batchSize: number; newBatchThreshold: number };
  /** The most messages that ran at once on one instance. */
  mostInFlight: number;
  deployments: number;
  /** Seeding the stand-ins (not part of any figure). */
  seedInMs: number;
  /** From the timer's invocation to an empty queue. */
  wallTimeInMs: number;
  fanOutInMs: number;
  /** Extrapolated from the sample; undefined when `soloPerKind` is 0. */
  oneByOneInMs?: number;
  /** Gateways in the one-by-one sample (the warm-up left out). */
  soloSample: number;
  /** Final worker outcomes (`rotated`, `fresh`, ...) and `retry` for invocations that threw. */
  outcomes: Record<string, number>;
  /** Mean time of one invocation, in the fleet run and one by one (the cold first one left out). */
  meanInvocationInMs: { fleet: MeanInvocation; oneByOne?: MeanInvocation };
  /** Invocation time over the run's time after the fan-out: how many messages were really in flight. */
  meanInFlight: number;
  /** CPU time over the fleet run of the instances (all together) and of the stand-ins (this process): near the wall time means CPU-bound. */
  cpuInMs: { instances: number; standins: number };
  poisoned: number;
  due: KindCalls;
  fresh: KindCalls;
  unattributed: ServiceCalls;
  maxRolloutsInFlight: number[];
  rollouts: number;
  /** Of the instance that ran the fan-out (every instance holds the whole configuration). */
  memory: Pick<
    HostReport,
    "peakRssInBytes" | "peakHeapUsedInBytes" | "heapAtQuarterInBytes" | "heapAtEndInBytes"
  > & { configInBytes: number };
}

const replicas = 3;

/**
 * Builds the fleet, runs the sample one by one and the fleet as a whole, and stops everything.
 * @param options - size, clusters, latency, rollout time.
 * @returns the measurements.
 */
export async function runFleet(options: FleetRunOptions): Promise<FleetRunResult> {
  const settings = {
    soloPerKind: 2,
    instances: 1,
    ...options,
    appSettings: { ROTATION_SPREAD_IN_MINUTES: "0", ...options.appSettings } as Record<string, string>,
  };
  const clusters = Array.from({ length: settings.clusters }, (_, i) => `cluster-${i}`);
  const fleet = await startFleet({
    clusters,
    gateways: [],
    azurite: true,
    rolloutStepInMs: Math.max(1, Math.round(settings.rolloutInMs / (2 * replicas + 1))),
  });
  try {
    const specs = fleetShape({ gateways: settings.gateways, clusters: settings.clusters, replicas });
    const solo =
      settings.soloPerKind > 0
        ? fleetShape({
            gateways: 1 + 6 * settings.soloPerKind,
            clusters: settings.clusters,
            dueEvery: 2,
            prefix: "solo",
            replicas,
          })
        : [];
    const seedStart = performance.now();
    await seedGateways(fleet, [...specs, ...solo]);
    const seedInMs = performance.now() - seedStart;
    fleet.arm.latencyInMs = settings.latencyInMs;
    fleet.keyVault.latencyInMs = settings.latencyInMs;
    const slotsNamespace = settings.appSettings.ROTATION_SLOTS_NAMESPACE;
    for (const cluster of fleet.clusters) {
      if (slotsNamespace)
        await cluster.apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name: slotsNamespace } }]);
      cluster.setLatency(settings.latencyInMs);
    }

    const job = {
      connectionString: fleet.azurite!.connectionString,
      caPath: fleet.caPath,
      appSettings: settings.appSettings,
      visibilityTimeoutInSeconds: 5,
    };
    let oneByOneInMs: number | undefined;
    let soloMeans: MeanInvocation | undefined;
    if (solo.length > 0) {
      const configFile = join(fleet.directory, "solo.json");
      await writeFleetConfig(fleet, solo, configFile);
      const report = await runHosts({ ...job, configFile, batchSize: 1, newBatchThreshold: 0 }, fleet.env);
      const warm = withoutFirst(report.instances[0]!.invocations);
      oneByOneInMs = extrapolate(specs, solo, warm);
      soloMeans = meanInvocation(solo, warm);
    }

    const configFile = join(fleet.directory, "fleet.json");
    const configInBytes = await writeFleetConfig(fleet, specs, configFile);
    const meter = new RequestMeter(fleet, new Set(specs.map((spec) => spec.name)));
    meter.start();
    const standinsCpuAtStart = process.cpuUsage();
    const report = await runHosts(
      { ...job, configFile, batchSize: settings.batchSize, newBatchThreshold: settings.newBatchThreshold },
      fleet.env,
      settings.instances,
    );
    const standinsCpu = process.cpuUsage(standinsCpuAtStart);
    const reading = meter.stop();

    const invocations = report.instances.flatMap((instance) => instance.invocations);
    const first = report.instances[0]!;
    const outcomes: Record<string, number> = {};
    for (const invocation of invocations)
      outcomes[invocation.status] = (outcomes[invocation.status] ?? 0) + 1;
    const kindCalls = (due: boolean) =>
      averageCalls(
        specs.filter((spec) => isDue(spec) === due),
        reading.gateways,
      );
    return {
      options: settings,
      listener: { batchSize: first.batchSize, newBatchThreshold: first.newBatchThreshold },
      mostInFlight: Math.max(...report.instances.map((instance) => instance.mostInFlight)),
      deployments: specs.reduce((sum, spec) => sum + spec.deployments.length, 0),
      seedInMs,
      wallTimeInMs: report.wallTimeInMs,
      fanOutInMs: report.fanOutInMs,
      oneByOneInMs,
      soloSample: Math.max(0, solo.length - 1),
      outcomes,
      meanInvocationInMs: { fleet: meanInvocation(specs, invocations), oneByOne: soloMeans },
      meanInFlight:
        invocations.reduce((sum, i) => sum + i.durationInMs, 0) / (report.wallTimeInMs - report.fanOutInMs),
      cpuInMs: {
        instances: report.instances.reduce((sum, instance) => sum + instance.cpuInMs, 0),
        standins: (standinsCpu.user + standinsCpu.system) / 1000,
      },
      poisoned: Math.max(...report.instances.map((instance) => instance.poisoned)),
      due: kindCalls(true),
      fresh: kindCalls(false),
      unattributed: reading.unattributed,
      maxRolloutsInFlight: reading.maxRolloutsInFlight,
      rollouts: reading.rollouts.reduce((a, b) => a + b, 0),
      memory: {
        peakRssInBytes: first.peakRssInBytes,
        peakHeapUsedInBytes: first.peakHeapUsedInBytes,
        heapAtQuarterInBytes: first.heapAtQuarterInBytes,
        heapAtEndInBytes: first.heapAtEndInBytes,
        configInBytes,
      },
    };
  } finally {
    await fleet.stop();
  }
}

/** A gateway's kind for extrapolation: due or fresh, and its number of deployments. */
function kindOf(spec: FleetGatewaySpec): string {
  return `${isDue(spec) ? "due" : "fresh"}/${spec.deployments.length}`;
}

/** The invocations but the first (a cold instance loading the SDKs). */
function withoutFirst(invocations: readonly HostInvocation[]): HostInvocation[] {
  const first = Math.min(...invocations.map((i) => i.startedAtInMs));
  return invocations.filter((i) => i.startedAtInMs !== first);
}

/** What the fleet would take one by one: each gateway costs the sample's mean time for its kind. */
function extrapolate(
  fleet: readonly FleetGatewaySpec[],
  sample: readonly FleetGatewaySpec[],
  invocations: readonly HostInvocation[],
): number {
  const kinds = new Map(sample.map((spec) => [spec.name, kindOf(spec)]));
  const durations = new Map<string, number[]>();
  for (const invocation of invocations) {
    const kind = kinds.get(invocation.gateway)!;
    durations.set(kind, [...(durations.get(kind) ?? []), invocation.durationInMs]);
  }
  return fleet.reduce((sum, spec) => {
    const measured = durations.get(kindOf(spec));
    if (!measured) throw new Error(`the one-by-one sample has no ${kindOf(spec)} gateway`);
    return sum + mean(measured);
  }, 0);
}

function meanInvocation(
  specs: readonly FleetGatewaySpec[],
  invocations: readonly HostInvocation[],
): MeanInvocation {
  const due = new Set(specs.filter(isDue).map((spec) => spec.name));
  return {
    due: mean(invocations.filter((i) => due.has(i.gateway)).map((i) => i.durationInMs)),
    fresh: mean(invocations.filter((i) => !due.has(i.gateway)).map((i) => i.durationInMs)),
  };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function averageCalls(specs: readonly FleetGatewaySpec[], calls: Map<string, ServiceCalls>): KindCalls {
  const deployments = specs.reduce((sum, spec) => sum + spec.deployments.length, 0);
  const total: ServiceCalls = { arm: {}, keyVault: {}, kube: {} };
  for (const spec of specs) {
    const mine = calls.get(spec.name);
    if (!mine) continue;
    for (const service of ["arm", "keyVault", "kube"] as const) {
      for (const [kind, count] of Object.entries(mine[service])) {
        total[service][kind] = (total[service][kind] ?? 0) + count;
      }
    }
  }
  const per = (counts: CallCounts, n: number): CallCounts =>
    Object.fromEntries(Object.entries(counts).map(([kind, count]) => [kind, n > 0 ? count / n : 0]));
  return {
    gateways: specs.length,
    deployments,
    perGateway: {
      arm: per(total.arm, specs.length),
      keyVault: per(total.keyVault, specs.length),
      kube: per(total.kube, specs.length),
    },
    kubePerDeployment: per(total.kube, deployments),
  };
}
