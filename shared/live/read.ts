/**
 * One live read of a gateway: Key Vault's current token and each deployment's objects, each read
 * once, with Key Vault's facts merged into every deployment's live data. The live check, `status`
 * and the fleet page all start from this reading, so they cannot disagree.
 */
import type { DeploymentTarget, GatewayConfig } from "../config/types.js";
import type { KubeGatewayCluster } from "../kube/cluster.js";
import { liveTokenData, readLiveObjects, type LiveObjects } from "../kube/live.js";
import { settle, type Settled } from "../rotation/status.js";
import { isPulled } from "../rotation/target.js";
import type {
  AbortOptions,
  DeliveryReports,
  GatewayCluster,
  StoredToken,
  TokenVault,
} from "../rotation/types.js";

/** What a live read goes through. */
export interface LiveCheckDeps {
  /** The Key Vault that holds a gateway's token. */
  vaultFor(gateway: GatewayConfig): TokenVault;
  /** The cluster a deployment runs in (also what `status` hands the rotation planner). */
  clusterFor(target: DeploymentTarget): Pick<KubeGatewayCluster, "api"> & GatewayCluster;
  /** The agents' reports of pulled deployments (the service's book); none where they are not available. */
  reports?: DeliveryReports;
}

/** One deployment as read: its objects with Key Vault merged into `live`, or the error that stopped the read. */
export interface DeploymentReading {
  target: DeploymentTarget;
  /** The cluster it was read from, once connected. */
  cluster?: GatewayCluster;
  read?: LiveObjects;
  /** As thrown (NotFoundError, PermissionDeniedError, InputError), for callers that must fail on it. */
  error?: unknown;
}

/** A gateway read live. Holds tokens (Key Vault's, each Secret's): never log it. */
export interface GatewayReading {
  gateway: GatewayConfig;
  /** Key Vault's current version (undefined when there is none yet), or why it could not be read. */
  vault: Settled<StoredToken | undefined>;
  /** In configuration order; a pulled deployment is never read (neither `read` nor `error`). */
  deployments: DeploymentReading[];
  reports?: DeliveryReports;
}

/**
 * Reads Key Vault and every deployment of a gateway once, in parallel; nothing is thrown.
 * @param gateway - the gateway.
 * @param deps - the vault and cluster readers.
 * @param options - an abort signal.
 */
export async function readGateway(
  gateway: GatewayConfig,
  deps: LiveCheckDeps,
  options: AbortOptions = {},
): Promise<GatewayReading> {
  const [vault, deployments] = await Promise.all([
    settle(() => deps.vaultFor(gateway).current(gateway.keyVault.secretName, options)),
    Promise.all(
      gateway.deployments.map(async (target): Promise<DeploymentReading> => {
        if (isPulled(target)) return { target };
        let cluster: ReturnType<LiveCheckDeps["clusterFor"]> | undefined;
        try {
          cluster = deps.clusterFor(target);
          return { target, cluster, read: await readLiveObjects(target, cluster, options) };
        } catch (error) {
          return { target, cluster, error };
        }
      }),
    ),
  ]);
  for (const { read } of deployments) if (read) mergeVault(read, vault, gateway);
  return { gateway, vault, deployments, ...(deps.reports ? { reports: deps.reports } : {}) };
}

function mergeVault(read: LiveObjects, vault: GatewayReading["vault"], gateway: GatewayConfig): void {
  const stored = vault.ok ? vault.value : undefined;
  const vaultError = !vault.ok
    ? `Key Vault: ${vault.error}`
    : stored
      ? undefined
      : `Key Vault has no secret "${gateway.keyVault.secretName}"`;
  const errors = [...(read.live.errors ?? []), ...(vaultError ? [vaultError] : [])];
  read.live = {
    ...liveTokenData(read.token, stored),
    pods: read.live.pods,
    ...(errors.length ? { errors } : {}),
  };
  read.bundle.live = read.live;
}
