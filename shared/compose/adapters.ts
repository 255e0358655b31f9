/**
 * The composition root of the real adapters: ARM (token issuer), Key Vault (token vault, kubeconfigs
 * held in Key Vault), the clusters and the per-gateway Lease lock, built once from a `GuardConfig`
 * and a credential. Heavy (it loads the Azure and Kubernetes SDKs): import it lazily.
 */
import type { TokenCredential } from "@azure/core-auth";
import type { SecretClientOptions } from "@azure/keyvault-secrets";
import { ApimTokenIssuer, type ApimRetryOptions } from "../azure/apim.js";
import { SecretClients } from "../azure/keyvault.js";
import type { ClusterConnection, GatewayConfig, GuardConfig } from "../config/types.js";
import type { LiveCheckDeps } from "../drift/live.js";
import { clusterProvider, type KubeGatewayCluster } from "../kube/cluster.js";
import { LeaseRotationLock } from "../kube/lock.js";
import type { RotationDeps, RotationLogger } from "../rotation/types.js";

/** Options every Azure SDK client gets (TLS, retry, user agent), e.g. `{ tlsOptions: { ca } }` for a local stand-in. */
export type AzureClientOptions = Pick<
  SecretClientOptions,
  "tlsOptions" | "retryOptions" | "userAgentOptions"
>;

export interface ComposeAdaptersOptions {
  /** For ARM, Key Vault and AKS (`DefaultAzureCredential` from shared/azure/credential.ts in production). */
  credential: TokenCredential;
  /** ARM endpoint; default the configuration's `armEndpoint`, then the public cloud. */
  armEndpoint?: string;
  clientOptions?: AzureClientOptions;
  /** Backoff for ARM throttling and 5xx (defaults in shared/azure/apim.ts). */
  apimRetry?: ApimRetryOptions;
  /** How often a rollout is polled. Default 1000. */
  pollIntervalInMs?: number;
  /** Who holds a rotation Lease (default `<hostname>-<pid>`). */
  lockIdentity?: string;
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
    endpoint: options.armEndpoint ?? config.armEndpoint,
    retry: options.apimRetry,
    clientOptions,
  });
  const secrets = new SecretClients({ credential, clientOptions });
  const loopbackSecrets = new SecretClients({
    credential,
    clientOptions: { ...clientOptions, disableChallengeResourceVerification: true },
  });
  const secretsFor = (vaultUrl: string) => (isLoopback(vaultUrl) ? loopbackSecrets : secrets);
  const cluster = clusterProvider({
    credential,
    secrets: {
      readKubeconfigSecret: (vaultUrl, secretName, readOptions) =>
        secretsFor(vaultUrl).readKubeconfigSecret(vaultUrl, secretName, readOptions),
    },
    pollIntervalInMs: options.pollIntervalInMs,
    now: options.now,
  });
  const lock = new LeaseRotationLock({
    clusterFor: cluster,
    identity: options.lockIdentity,
    now: options.now,
  });
  const vaultFor = (gateway: GatewayConfig) => secretsFor(gateway.keyVault.url).vault(gateway.keyVault.url);
  return {
    rotationDeps: (gateway) => ({
      issuer,
      vault: vaultFor(gateway),
      clusterFor: (target) => cluster(target.cluster),
      lock,
      ...(options.now ? { now: options.now } : {}),
      ...(options.log ? { log: options.log } : {}),
    }),
    live: { vaultFor, clusterFor: (target) => cluster(target.cluster) },
    cluster,
  };
}

/**
 * True for a vault on this machine (an emulator or the stand-ins). Key Vault's challenge names the
 * resource `https://vault.azure.net`, which a loopback host can never match, so the SDK's check that
 * the vault's host belongs to that resource is skipped for loopback hosts only.
 */
export function isLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
