/**
 * The composition root of the real adapters: ARM (token issuer), Key Vault (token vault, kubeconfigs
 * held in Key Vault), the clusters, the per-gateway Lease lock and the rollout slots, built once from a `GuardConfig`
 * and a credential. Heavy (it loads the Azure and Kubernetes SDKs): import it lazily.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { SecretClientOptions } from "@azure/keyvault-secrets";
import { ApimTokenIssuer, type ApimRetryOptions } from "../azure/apim.js";
import { SecretClients } from "../azure/keyvault.js";
import type { ClusterConnection, GatewayConfig, GuardConfig } from "../config/types.js";
import type { LiveCheckDeps } from "../live/read.js";
import { clusterProvider, type KubeGatewayCluster } from "../kube/cluster.js";
import type { KubeEnvironment } from "../config/kubeEnvironment.js";
import { LeaseRotationLock } from "../kube/lock.js";
import { LeaseRolloutSlots, type LeaseRolloutSlotsOptions } from "../kube/rolloutSlots.js";
import type { RotationDeps, RotationLogger } from "../rotation/types.js";

/** Options every Azure SDK client gets (TLS, retry, user agent), e.g. `{ tlsOptions: { ca } }` for a local stand-in. */
export type AzureClientOptions = Pick<
  SecretClientOptions,
  "tlsOptions" | "retryOptions" | "userAgentOptions"
>;

export interface ComposeAdaptersOptions {
  /** For ARM, Key Vault and AKS (`DefaultAzureCredential` from shared/azure/credential.ts in production). */
  credential: TokenCredential;
  /**
   * ARM endpoint when the configuration names none (the GATEWAY_GUARD_ARM_ENDPOINT setting): the
   * configuration's `armEndpoint` wins, then this, then the public cloud.
   */
  armEndpoint?: string;
  clientOptions?: AzureClientOptions;
  /** KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT for default-kubeconfig and inCluster connections, from the edge. */
  kubeEnvironment?: KubeEnvironment;
  /** Backoff for ARM throttling and 5xx (defaults in shared/azure/apim.ts). */
  apimRetry?: ApimRetryOptions;
  /** How often a rollout is polled when the cluster refuses to watch it. Default 1000. */
  pollIntervalInMs?: number;
  /** Who holds a rotation Lease (default `<hostname>-<pid>`). */
  lockIdentity?: string;
  /**
   * Caps concurrent rollouts per cluster with Lease slots (shared/kube/rolloutSlots.ts): the
   * Functions app's setting. No cap when absent or `slots` is 0 (the CLI: one rotation at a time).
   */
  rolloutSlots?: Pick<
    LeaseRolloutSlotsOptions,
    "slots" | "namespace" | "ttlInMs" | "waitInMs" | "maxWaitInMs"
  >;
  log?: RotationLogger;
  now?: () => Date;
}

/** The adapters for one configuration. */
export interface Adapters {
  /** The rotation engine's dependencies for one gateway (its vault, the shared clusters and lock). */
  rotationDeps(gateway: GatewayConfig): RotationDeps;
  /** What the live drift check reads through. */
  live: LiveCheckDeps;
  /** The cluster of a connection (cached, connected on first use). */
  cluster(connection: ClusterConnection): KubeGatewayCluster;
}

/**
 * Builds the real adapters; nothing connects until first use.
 * @param config - the validated configuration.
 * @param options - credential, endpoints, SDK client options, timing.
 */
export function composeAdapters(config: GuardConfig, options: ComposeAdaptersOptions): Adapters {
  const { credential, clientOptions } = options;
  const issuer = new ApimTokenIssuer({
    credential,
    endpoint: config.armEndpoint ?? options.armEndpoint,
    retry: options.apimRetry,
    clientOptions,
  });
  const secrets = new SecretClients({ credential, clientOptions });
  const cluster = clusterProvider({
    credential,
    secrets,
    env: options.kubeEnvironment,
    pollIntervalInMs: options.pollIntervalInMs,
    now: options.now,
  });
  const lock = new LeaseRotationLock({
    clusterFor: cluster,
    identity: options.lockIdentity,
    now: options.now,
  });
  const rollouts =
    options.rolloutSlots && options.rolloutSlots.slots !== 0
      ? new LeaseRolloutSlots({
          ...options.rolloutSlots,
          clusterFor: cluster,
          identity: options.lockIdentity,
          now: options.now,
        })
      : undefined;
  const vaultFor = (gateway: GatewayConfig) => secrets.vault(gateway.keyVault.url);
  return {
    rotationDeps: (gateway) => ({
      issuer,
      vault: vaultFor(gateway),
      clusterFor: (target) => cluster(target.cluster),
      lock,
      ...(rollouts ? { rollouts } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.log ? { log: options.log } : {}),
    }),
    live: { vaultFor, clusterFor: (target) => cluster(target.cluster) },
    cluster,
  };
}
