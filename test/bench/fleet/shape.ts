/**
 * The shape of the benchmark's fleet: how many gateways, their deployments spread over the
 * clusters, and which ones are due for rotation. Deterministic, so two runs of one size compare.
 */
import type { FleetGatewaySpec } from "../../standins/fleet.js";

/** Options of {@link fleetShape}. */
export interface FleetShapeOptions {
  /** How many gateways. */
  gateways: number;
  /** How many stand-in clusters the deployments spread over. */
  clusters: number;
  /** Every `dueEvery`-th gateway is due for rotation (its token expires in 3 days). Default 5. */
  dueEvery?: number;
  /** Name prefix, so that two shapes can share the stand-ins. Default `gw`. */
  prefix?: string;
  /** Replicas of every deployment. Default 3 (the production minimum). */
  replicas?: number;
}

/** Days until a due gateway's seeded token expires (under the 7 days renew-before). */
export const dueInDays = 3;

/**
 * The gateways of a fleet: gateway `i` has `1 + i % 3` deployments (one to three, two on average),
 * each in its own cluster while there are enough (due and fresh gateways alike spread over every
 * cluster), in a namespace named after the gateway (so that
 * every Kubernetes request names the gateway it serves); every `dueEvery`-th one is due.
 * @param options - size, clusters, due share, prefix.
 * @returns the gateway specifications for seeding.
 */
export function fleetShape(options: FleetShapeOptions): FleetGatewaySpec[] {
  const dueEvery = options.dueEvery ?? 5;
  const prefix = options.prefix ?? "gw";
  const width = String(options.gateways).length;
  return Array.from({ length: options.gateways }, (_, i) => {
    const name = `${prefix}-${String(i).padStart(width, "0")}`;
    return {
      name,
      keyType: i % 2 === 0 ? "primary" : "secondary",
      expiresInDays: i % dueEvery === 0 ? dueInDays : 15 + (i % 10),
      deployments: Array.from({ length: 1 + (i % 3) }, (_, d) => ({
        cluster: (Math.floor(i / dueEvery) + d) % options.clusters,
        namespace: name,
        deployment: `gateway-${d}`,
        layout: d % 2 === 0 ? "portal" : "helm",
        replicas: options.replicas ?? 3,
      })),
    };
  });
}

/** Whether a seeded gateway is due for rotation. */
export function isDue(spec: FleetGatewaySpec): boolean {
  return spec.expiresInDays < 7;
}
