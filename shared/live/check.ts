/**
 * The live drift check: each configured deployment's objects read from its cluster (Secret values
 * redacted), the token state only a cluster and Key Vault have (expiry, SHA-256 of the Secret's and
 * of Key Vault's token, last rotation, pods), and every rule run over it, live rules included.
 * Loaded on demand (it pulls in the Kubernetes client); the CLI's `check --config` and the HTTP
 * drift function call {@link checkLive}.
 */
import type { DeploymentTarget, GatewayConfig, GuardConfig } from "../config/types.js";
import { findGateway } from "../config/load.js";
import { errorText } from "../errors.js";
import type { KubeGatewayCluster } from "../kube/cluster.js";
import { readLiveObjects } from "../kube/live.js";
import { clusterLabel } from "../rotation/target.js";
import {
  secretAnnotations,
  type AbortOptions,
  type StoredToken,
  type TokenVault,
} from "../rotation/types.js";
import { sha256 } from "../token/parse.js";
import { checkBundles, type CheckOptions } from "../drift/check.js";
import { rules as allRules } from "../drift/rules/index.js";
import type { CheckResult, GatewayBundle, Report, Rule } from "../drift/types.js";

/** What the live check reads through. */
export interface LiveCheckDeps {
  /** The Key Vault that holds a gateway's token. */
  vaultFor(gateway: GatewayConfig): TokenVault;
  /** The cluster a deployment runs in. */
  clusterFor(target: DeploymentTarget): Pick<KubeGatewayCluster, "api">;
}

export interface CheckLiveOptions extends CheckOptions, AbortOptions {
  /** Only these gateways, by name (an unknown name is a NotFoundError); default every configured one. */
  gateways?: readonly string[];
  /** Default every rule of the registry. */
  rules?: readonly Rule[];
}

/**
 * Checks the configured gateways as they run: one report per deployment, in configuration order.
 * A deployment or vault that cannot be read gives `unknown` findings for what needs it (the reason
 * is in the finding); a deployment that does not exist or cannot be read at all fails the check.
 * @param config - the configuration.
 * @param deps - the vault and cluster readers.
 * @param options - gateways, baseline, strictness, clock.
 * @returns one report per deployment, its target naming the cluster and gateway.
 * @throws NotFoundError for an unknown gateway name or a missing Deployment, PermissionDeniedError
 *   when the Deployment cannot be read.
 */
export async function checkLive(
  config: GuardConfig,
  deps: LiveCheckDeps,
  options: CheckLiveOptions = {},
): Promise<CheckResult> {
  const gateways = options.gateways?.length
    ? [...new Set(options.gateways)].map((name) => findGateway(config, name))
    : config.gateways;
  const now = options.now ?? new Date();
  const perGateway = await Promise.all(gateways.map((gateway) => checkGateway(gateway, deps, options, now)));
  return { reports: perGateway.flat() };
}

async function checkGateway(
  gateway: GatewayConfig,
  deps: LiveCheckDeps,
  options: CheckLiveOptions,
  now: Date,
): Promise<Report[]> {
  const vault = await readVault(gateway, deps, options);
  return Promise.all(
    gateway.deployments.map(async (target) => {
      const { bundle, live } = await readLiveObjects(target, deps.clusterFor(target), options);
      const errors = [...(live.errors ?? []), ...(vault.error ? [vault.error] : [])];
      bundle.live = {
        ...live,
        ...(vault.token ? vaultData(vault.token, live.secretTokenSha256, bundle) : {}),
        ...(errors.length > 0 ? { errors } : {}),
      };
      const [report] = checkBundles([bundle], options.rules ?? allRules, { ...options, now }).reports;
      return {
        ...report,
        target: `${report.target} (cluster ${clusterLabel(target.cluster)}, gateway ${gateway.name})`,
      };
    }),
  );
}

interface VaultReading {
  token?: StoredToken;
  error?: string;
}

async function readVault(
  gateway: GatewayConfig,
  deps: LiveCheckDeps,
  options: AbortOptions,
): Promise<VaultReading> {
  try {
    const token = await deps.vaultFor(gateway).current(gateway.keyVault.secretName, options);
    return token ? { token } : { error: `Key Vault has no secret "${gateway.keyVault.secretName}"` };
  } catch (error) {
    return { error: `Key Vault: ${errorText(error)}` };
  }
}

/** Key Vault's hash, and when the token was issued if the Secret holds Key Vault's current version. */
function vaultData(stored: StoredToken, secretSha256: string | undefined, bundle: GatewayBundle) {
  const vaultTokenSha256 = sha256(stored.token);
  const version = bundle.secrets
    .map((s) => s.object.metadata.annotations?.[secretAnnotations.vaultVersion])
    .find((v) => v !== undefined);
  const issued =
    secretSha256 === vaultTokenSha256 && version === stored.version ? stored.createdOn : undefined;
  return { vaultTokenSha256, ...(issued ? { tokenIssuedOn: issued } : {}) };
}
