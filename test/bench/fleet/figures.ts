/** The fleet benchmark's figures, with the goals of issue 12 beside them. */
import type { Figure } from "../benchmark.js";
import type { CallCounts } from "./meter.js";
import type { FleetRunResult, KindCalls } from "./runFleet.js";

const mib = 1024 * 1024;

/**
 * Turns a run's measurements into figures.
 * @param result - what {@link runFleet} measured.
 * @returns the figures, in print order.
 */
export function fleetFigures(result: FleetRunResult): Figure[] {
  const { memory } = result;
  const count = (label: string, value: number, target?: string, within?: boolean): Figure => ({
    label,
    value: Math.round(value * 100) / 100,
    unit: "count",
    ...(target ? { target, within } : {}),
  });
  const figures: Figure[] = [
    count("gateways", result.options.gateways),
    count("  of which due for rotation", result.due.gateways),
    count("deployments", result.deployments),
    count("clusters", result.options.clusters),
    count("latency per call (ms)", result.options.latencyInMs),
    count("rollout of 3 replicas (ms)", result.options.rolloutInMs),
    count("Functions instances", result.options.instances),
    count("queue batchSize per instance (host.json)", result.listener.batchSize),
    count("queue newBatchThreshold per instance (host.json)", result.listener.newBatchThreshold),
    { label: "fleet run: timer fan-out to empty queue", value: result.wallTimeInMs, unit: "ms" },
    { label: "  of which the timer's fan-out", value: result.fanOutInMs, unit: "ms" },
  ];
  if (result.oneByOneInMs !== undefined) {
    const speedUp = result.oneByOneInMs / result.wallTimeInMs;
    figures.push(
      {
        label: `one by one (extrapolated from ${result.soloSample} sampled)`,
        value: result.oneByOneInMs,
        unit: "ms",
      },
      {
        label: "fleet run vs one by one",
        value: speedUp,
        unit: "×",
        ...(result.options.instances === 1 ? { target: "≥ 20× on one instance", within: speedUp >= 20 } : {}),
      },
    );
  }
  const means = result.meanInvocationInMs;
  figures.push(
    count("messages really in flight, on average", result.meanInFlight),
    count("most messages in flight on one instance", result.mostInFlight),
    { label: "CPU of the instances over the fleet run", value: result.cpuInMs.instances, unit: "ms" },
    { label: "CPU of the stand-ins over the fleet run", value: result.cpuInMs.standins, unit: "ms" },
  );
  for (const kind of ["fresh", "due"] as const) {
    figures.push({
      label: `${kind} gateway: one invocation, in the fleet run`,
      value: means.fleet[kind],
      unit: "ms",
    });
    if (means.oneByOne) {
      figures.push({
        label: `${kind} gateway: one invocation, one by one`,
        value: means.oneByOne[kind],
        unit: "ms",
      });
    }
  }
  for (const [status, n] of Object.entries(result.outcomes).sort())
    figures.push(count(`invocations ending ${status}`, n));
  figures.push(count("messages poisoned", result.poisoned, "0", result.poisoned === 0));
  figures.push(...kindFigures("fresh", result.fresh), ...kindFigures("due", result.due));
  const unattributed =
    total(result.unattributed.arm) + total(result.unattributed.keyVault) + total(result.unattributed.kube);
  figures.push(count("calls naming no gateway", unattributed));
  for (const service of ["arm", "keyVault", "kube"] as const) {
    for (const [kind, n] of Object.entries(result.unattributed[service]).sort()) {
      figures.push(count(`  ${service} ${kind}`, n));
    }
  }
  result.maxRolloutsInFlight.forEach((n, i) => figures.push(count(`most rollouts at once, cluster-${i}`, n)));
  const gateways = result.options.gateways;
  const growthPerGateway =
    (memory.heapAtEndInBytes - memory.heapAtQuarterInBytes) / (gateways - Math.ceil(gateways / 4) || 1);
  const configPerGateway = memory.configInBytes / gateways;
  figures.push(
    count("peak RSS (MiB)", memory.peakRssInBytes / mib),
    count("peak heap used (MiB)", memory.peakHeapUsedInBytes / mib),
    count("heap a quarter into the run, after GC (MiB)", memory.heapAtQuarterInBytes / mib),
    count("heap at the end, after GC (MiB)", memory.heapAtEndInBytes / mib),
    count(
      "heap growth per gateway after that (bytes)",
      growthPerGateway,
      `≤ the configuration's ${configPerGateway.toFixed(0)} bytes a gateway`,
      growthPerGateway <= configPerGateway,
    ),
  );
  return figures;
}

function kindFigures(kind: "fresh" | "due", calls: KindCalls): Figure[] {
  const arm = total(calls.perGateway.arm);
  const armTarget =
    kind === "fresh"
      ? { target: "0", within: arm === 0 }
      : { target: "1 (2 with revocation)", within: arm === 1 };
  const line = (label: string, value: number): Figure => ({
    label,
    value: Math.round(value * 100) / 100,
    unit: "count",
  });
  return [
    { ...line(`${kind} gateway: ARM calls`, arm), ...armTarget },
    ...breakdown(`${kind} gateway: ARM`, calls.perGateway.arm, line),
    line(`${kind} gateway: Key Vault calls`, total(calls.perGateway.keyVault)),
    ...breakdown(`${kind} gateway: Key Vault`, calls.perGateway.keyVault, line),
    line(`${kind} deployment: Kubernetes calls`, total(calls.kubePerDeployment)),
    ...breakdown(`${kind} deployment:`, calls.kubePerDeployment, line),
  ];
}

function breakdown(
  prefix: string,
  counts: CallCounts,
  line: (label: string, value: number) => Figure,
): Figure[] {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => line(`  ${prefix} ${kind}`, n));
}

function total(counts: CallCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
