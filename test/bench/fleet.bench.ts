/**
 * Fleet scale (issue 12): a fleet of self-hosted gateways in the stand-ins, rotated through the
 * real path (the timer's fan-out onto an Azurite queue, the worker under host.json's queue listener settings on
 * one or more instances), against the same gateways rotated one by one. Prints wall time, calls per gateway
 * and service for fresh and due gateways, rollouts at once per cluster and the instance's memory.
 * Size and timing come from the environment (defaults in brackets): `BENCH_FLEET_GATEWAYS` [100;
 * 500 takes about two minutes here], `BENCH_FLEET_CLUSTERS` [5], `BENCH_FLEET_LATENCY_MS` [50],
 * `BENCH_FLEET_ROLLOUT_MS` [2000], `BENCH_FLEET_BATCH_SIZE` and `BENCH_FLEET_NEW_BATCH_THRESHOLD`
 * [host.json's queue settings, per instance: to see what other settings would give], `BENCH_FLEET_INSTANCES` [1: Functions instances draining the
 * queue together, as the Flex Consumption plan scales out]. The instance's app settings `ROTATION_SPREAD_IN_MINUTES` [0: the
 * run measures throughput, not the spread], `ROTATION_ROLLOUTS_PER_CLUSTER` [the app's default] and
 * `ROTATION_SLOTS_NAMESPACE` [`gateway-guard`: each bench gateway has a namespace of its own, so a
 * per-namespace cap would never bind] are taken from the environment too.
 */
import type { Benchmark } from "./benchmark.js";
import { fleetFigures } from "./fleet/figures.js";
import { runFleet } from "./fleet/runFleet.js";

function setting(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) {
    throw new Error(`${name} is "${value}": expected a whole number of 0 or more`);
  }
  return number;
}

const options = {
  gateways: setting("BENCH_FLEET_GATEWAYS", 100),
  clusters: setting("BENCH_FLEET_CLUSTERS", 5),
  latencyInMs: setting("BENCH_FLEET_LATENCY_MS", 50),
  rolloutInMs: setting("BENCH_FLEET_ROLLOUT_MS", 2000),
  batchSize: setting("BENCH_FLEET_BATCH_SIZE", 0) || undefined,
  newBatchThreshold: process.env.BENCH_FLEET_NEW_BATCH_THRESHOLD
    ? setting("BENCH_FLEET_NEW_BATCH_THRESHOLD", 0)
    : undefined,
  instances: setting("BENCH_FLEET_INSTANCES", 1) || 1,
  appSettings: {
    ROTATION_SPREAD_IN_MINUTES: process.env.ROTATION_SPREAD_IN_MINUTES ?? "0",
    ROTATION_SLOTS_NAMESPACE: process.env.ROTATION_SLOTS_NAMESPACE ?? "gateway-guard",
    ...(process.env.ROTATION_ROLLOUTS_PER_CLUSTER
      ? { ROTATION_ROLLOUTS_PER_CLUSTER: process.env.ROTATION_ROLLOUTS_PER_CLUSTER }
      : {}),
  },
};

const fleetBench: Benchmark = {
  name: "fleet",
  description:
    `${options.gateways} gateways (a fifth due) over ${options.clusters} clusters, ${options.latencyInMs} ms a call, ` +
    `${options.rolloutInMs} ms a rollout: the scheduled run on ${options.instances} instance(s) vs one by one ` +
    `(BENCH_FLEET_GATEWAYS and friends change the size); app settings ${JSON.stringify(options.appSettings)}`,
  run: async () => fleetFigures(await runFleet(options)),
};

export const benchmarks: Benchmark[] = [fleetBench];
