/**
 * The fleet as `status` and the fleet page show it: per gateway its status and, per deployment, the
 * drift check's report, all from one live read of Key Vault and of each deployment.
 */
import type { GatewayConfig } from "../config/types.js";
import type { CheckOptions } from "../drift/check.js";
import type { Report } from "../drift/types.js";
import type { AbortOptions } from "../rotation/types.js";
import { checkDeployment } from "./check.js";
import { mapWithConcurrency } from "./concurrency.js";
import { readGateway, type LiveCheckDeps } from "./read.js";
import { statusView, type GatewayStatusView } from "./status.js";

/** One gateway of the fleet. */
export interface FleetGateway {
  status: GatewayStatusView;
  /** The drift report of each deployment, in configuration order; undefined where it could not be read or `drift` was off. */
  reports: Array<Report | undefined>;
}

export interface ReadFleetOptions extends CheckOptions, AbortOptions {
  /** Run the drift rules over each deployment too. Default false. */
  drift?: boolean;
  /** Gateways read at once (each reads Key Vault and its deployments in parallel). Default 32. */
  concurrency?: number;
}

/**
 * Reads the gateways live, each Key Vault secret and each deployment once.
 * @param gateways - the gateways, in the order to show them.
 * @param deps - the vault and cluster readers.
 * @param options - whether to run the drift rules, baseline, clock.
 * @returns one entry per gateway; what could not be read is reported inside, never thrown.
 */
export async function readFleet(
  gateways: readonly GatewayConfig[],
  deps: LiveCheckDeps,
  options: ReadFleetOptions = {},
): Promise<FleetGateway[]> {
  const now = options.now ?? new Date();
  return mapWithConcurrency(gateways, options.concurrency ?? 32, async (gateway) => {
    const reading = await readGateway(gateway, deps, options);
    return {
      status: statusView(reading, now),
      reports: reading.deployments.map(({ target, read }) =>
        options.drift && read ? checkDeployment(gateway, target, read, { ...options, now }) : undefined,
      ),
    };
  });
}
