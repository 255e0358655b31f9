/**
 * `status --all` and the fleet page at fleet size (issue 12: "stay usable at 500 gateways"): the
 * fleet benchmark's gateways seeded into the stand-ins (`BENCH_STATUS_GATEWAYS` [500], over
 * `BENCH_FLEET_CLUSTERS` [5] clusters, `BENCH_STATUS_LATENCY_MS` [0] added to every call), then the
 * real `status --all` as a table and as the fleet page, and the page's rendering alone (model and
 * HTML from the same reading) at a quarter, half and all of the fleet, to show how it grows.
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { runWith } from "../../shared/cli/commands/status.js";
import type { CliIO } from "../../shared/cli/io.js";
import { loadConfigFile } from "../../shared/config/load.js";
import { readFleet } from "../../shared/live/fleet.js";
import { fleetView, renderFleetPage } from "../../shared/report/index.js";
import { startFleet } from "../standins/fleet.js";
import { median, time, type Benchmark, type Figure } from "./benchmark.js";
import { seedGateways, writeFleetConfig } from "./fleet/seed.js";
import { fleetShape } from "./fleet/shape.js";

const gateways = Number(process.env.BENCH_STATUS_GATEWAYS ?? 500);
const clusters = Number(process.env.BENCH_FLEET_CLUSTERS ?? 5);
const latencyInMs = Number(process.env.BENCH_STATUS_LATENCY_MS ?? 0);

/** A CLI view of the process that keeps what is written, for its size. */
function quietIO(): { io: CliIO; written: () => number } {
  let written = 0;
  const sink = { write: (text: string) => (written += Buffer.byteLength(text)) };
  return { io: { stdout: sink, stderr: sink, stdin: "", env: {}, isTTY: false }, written: () => written };
}

async function measure(): Promise<Figure[]> {
  const fleet = await startFleet({
    clusters: Array.from({ length: clusters }, (_, i) => `cluster-${i}`),
    gateways: [],
  });
  try {
    const specs = fleetShape({ gateways, clusters });
    await seedGateways(fleet, specs);
    fleet.arm.latencyInMs = latencyInMs;
    fleet.keyVault.latencyInMs = latencyInMs;
    for (const cluster of fleet.clusters) cluster.setLatency(latencyInMs);
    const configFile = join(fleet.directory, "status.json");
    await writeFleetConfig(fleet, specs, configFile);

    const kubeTotals = () =>
      fleet.clusters.reduce(
        (sum, cluster) => ({
          requests: sum.requests + cluster.requests.length,
          connections: sum.connections + cluster.connections,
        }),
        { requests: 0, connections: 0 },
      );
    const status = async (format: string) => {
      const { io, written } = quietIO();
      const before = kubeTotals();
      const start = performance.now();
      const code = await runWith(["--all", "--config", configFile, "--format", format], io, fleet.connect());
      const inMs = performance.now() - start;
      const after = kubeTotals();
      const kube = {
        requests: after.requests - before.requests,
        connections: after.connections - before.connections,
      };
      return { inMs, bytes: written(), code, kube };
    };
    await status("table");
    const table = await status("table");
    const html = await status("html");

    const config = await loadConfigFile(configFile);
    const adapters = await fleet.connect()(config);
    const now = new Date();
    const reading = await readFleet(config.gateways, adapters.live, { drift: true, now });
    const render = (count: number) => () =>
      renderFleetPage(fleetView(reading.slice(0, count), { now }), { toolVersion: "bench" });
    const renders = [4, 2, 1].map((share) => Math.ceil(gateways / share));
    const renderTimes = await Promise.all(renders.map(async (count) => median(await time(render(count), 5))));
    const deployments = specs.reduce((sum, spec) => sum + spec.deployments.length, 0);
    return [
      { label: "gateways", value: gateways, unit: "count" },
      { label: "deployments", value: deployments, unit: "count" },
      { label: "latency per call (ms)", value: latencyInMs, unit: "count" },
      { label: "status --all (table), whole command", value: table.inMs, unit: "ms" },
      { label: "status --all --format html, whole command", value: html.inMs, unit: "ms" },
      { label: "  the page's size (KiB)", value: Math.round(html.bytes / 102.4) / 10, unit: "count" },
      { label: "  exit codes (table, html)", value: table.code * 10 + html.code, unit: "count" },
      { label: "  Kubernetes requests, one status --all (table)", value: table.kube.requests, unit: "count" },
      {
        label: "  Kubernetes TLS connections, one status --all",
        value: table.kube.connections,
        unit: "count",
      },
      ...renders.map((count, i): Figure => ({
        label: `fleet page render (model + HTML), ${count} gateways`,
        value: renderTimes[i]!,
        unit: "ms",
      })),
      {
        label: "render time, all vs a quarter of the gateways",
        value: renderTimes[2]! / renderTimes[0]!,
        unit: "×",
        target: "≈ 4× (linear)",
        within: renderTimes[2]! / renderTimes[0]! < 6,
      },
    ];
  } finally {
    await fleet.stop();
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: "status",
    description: `status --all and the fleet page over ${gateways} seeded gateways (${clusters} clusters, ${latencyInMs} ms a call)`,
    run: measure,
  },
];
