/**
 * The live drift check: each configured deployment's objects read from its cluster (Secret values
 * redacted), the token state only a cluster and Key Vault have (expiry, SHA-256 of the Secret's and
 * of Key Vault's token, last rotation, pods), and every rule run over it, live rules included.
 * Loaded on demand (it pulls in the Kubernetes client); the CLI's `check --config` and the HTTP
 * drift function call {@link checkLive}.
 */
import type { DeploymentTarget, GatewayConfig, GuardConfig } from "../config/types.js";
import { findGateway } from "../config/load.js";
import { clusterLabel, isPulled } from "../rotation/target.js";
import type { AbortOptions } from "../rotation/types.js";
import { checkBundles, type CheckOptions } from "../drift/check.js";
import { rules as allRules } from "../drift/rules/index.js";
import type { CheckResult, Report, Rule } from "../drift/types.js";
import type { LiveObjects } from "../kube/live.js";
import { readGateway, type LiveCheckDeps } from "./read.js";

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
 * A pulled deployment is not checked: the service never reads its cluster (its agent's reports show in `status`).
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
  const reading = await readGateway(gateway, deps, options);
  return reading.deployments.flatMap(({ target, read, error }) => {
    if (isPulled(target)) return [];
    if (!read) throw error;
    return checkDeployment(gateway, target, read, { ...options, now });
  });
}

/**
 * Runs the rules over one deployment as read (its live data already holds Key Vault's facts).
 * @param gateway - the gateway.
 * @param target - one of its deployments.
 * @param read - that deployment as {@link readGateway} read it.
 * @param options - rules, baseline, strictness, clock.
 * @returns the deployment's report, its target naming the cluster and gateway.
 */
export function checkDeployment(
  gateway: GatewayConfig,
  target: DeploymentTarget,
  read: LiveObjects,
  options: CheckOptions & { rules?: readonly Rule[] },
): Report {
  const [report] = checkBundles([read.bundle], options.rules ?? allRules, options).reports;
  const where = `cluster ${clusterLabel(target.cluster)}, gateway ${gateway.name}`;
  return { ...report, target: `${report.target} (${where})` };
}
