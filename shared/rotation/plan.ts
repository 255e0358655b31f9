/**
 * Plan (docs/rotation.md): read Key Vault and every deployment's Secret, and decide what to do.
 * The plan is plain data without tokens; the state beside it holds what was read (tokens
 * included) for the steps that follow, and must never be logged.
 */
import type { DeploymentTarget, GatewayConfig } from "../config/types.js";
import { maxTokenLifetimeInDays } from "../token/types.js";
import { dayInMs, formatDays } from "../token/days.js";
import { tokenExpiry } from "../token/parse.js";
import { secretTokenInfo } from "../token/secretInfo.js";
import { isPulled, reportedAs, targetLabel } from "./target.js";
import {
  secretAnnotations,
  type AbortOptions,
  type DeliveryReport,
  type DeliveryReports,
  type DeploymentTokenState,
  type GatewayCluster,
  type KeyType,
  type RotationDeps,
  type RotationPlan,
  type StoredToken,
} from "./types.js";

export interface PlanOptions extends AbortOptions {
  /** An on-demand rotation: mint even when the token is fresh. */
  force?: boolean;
}

/** What planning needs from the engine's dependencies. */
export type PlanDeps = Pick<RotationDeps, "vault" | "clusterFor" | "now" | "reports">;

/** One deployment as read. Holds its token: never log it. */
export interface DeploymentState {
  target: DeploymentTarget;
  label: string;
  cluster: GatewayCluster;
  secret: DeploymentTokenState;
  /** The Secret holds Key Vault's current token. */
  inSync: boolean;
  /** The token was written but its rollout was never confirmed (a run stopped in between): pods may run an older one. */
  rolloutPending: boolean;
  keyType?: KeyType;
  expiresOn?: Date;
}

/** A pulled deployment (pull mode): what its agent last reported, never read from its cluster. */
export interface PulledState {
  target: DeploymentTarget;
  label: string;
  /** The pulled cluster's name. */
  cluster: string;
  report?: DeliveryReport;
  /** The newest report says the deployment runs Key Vault's current version. */
  inSync: boolean;
}

/** Everything read while planning. Holds tokens: never log it. */
export interface PlanState {
  now: Date;
  vault?: StoredToken;
  /** The pushed deployments, which the engine reads and delivers to. */
  deployments: DeploymentState[];
  /** The pulled deployments, which their agents deliver to. */
  pulled: PulledState[];
}

export interface PlannedRotation {
  plan: RotationPlan;
  state: PlanState;
}

/**
 * Reads Key Vault's current version and every pushed deployment's Secret and decides: `fresh` (nothing to
 * do), `expiring`, `forced`, or `out-of-sync` (deliver Key Vault's token while it is fresh, else mint).
 * A pulled deployment is judged by its agent's newest report; it never makes the engine act.
 * @param gateway - the gateway's configuration
 * @param deps - the vault, the clusters and the clock
 * @param options - `force` for an on-demand rotation
 * @returns the plan (no tokens) and the state read (with tokens, for the engine only)
 */
export async function planRotation(
  gateway: GatewayConfig,
  deps: PlanDeps,
  options: PlanOptions = {},
): Promise<PlannedRotation> {
  const now = deps.now?.() ?? new Date();
  const read = { abortSignal: options.abortSignal };
  const [vault, secrets] = await Promise.all([
    deps.vault.current(gateway.keyVault.secretName, read),
    Promise.all(
      gateway.deployments
        .filter((target) => !isPulled(target))
        .map(async (target) => {
          const cluster = deps.clusterFor(target);
          return { target, cluster, secret: await cluster.readToken(target, read) };
        }),
    ),
  ]);
  return decideRotation(gateway, { vault, secrets, reports: deps.reports }, now, options.force === true);
}

/** What planning reads: Key Vault's current version, each pushed deployment's Secret, the agents' reports. */
export interface RotationReadings {
  vault: StoredToken | undefined;
  secrets: Array<{ target: DeploymentTarget; cluster: GatewayCluster; secret: DeploymentTokenState }>;
  reports?: DeliveryReports;
}

/**
 * The decision of {@link planRotation} from what was read, without any I/O.
 * @param gateway - the gateway's configuration
 * @param readings - Key Vault's current version, each pushed deployment's Secret in configuration order, the reports
 * @param now - the time to judge expiry against
 * @param force - an on-demand rotation
 */
export function decideRotation(
  gateway: GatewayConfig,
  { vault, secrets, reports }: RotationReadings,
  now: Date,
  force: boolean,
): PlannedRotation {
  const deployments: DeploymentState[] = secrets.map(({ target, cluster, secret }) => {
    const { keyType, expiresOn } = secretTokenInfo(secret.annotations, secret.token, vault);
    return {
      target,
      label: targetLabel(target),
      cluster,
      secret,
      inSync: vault !== undefined && secret.token === vault.token,
      rolloutPending: isRolloutPending(secret.annotations),
      keyType,
      expiresOn,
    };
  });

  const pulled = pulledStates(gateway, reports, vault);
  const currentKeyType = vault
    ? (vault.keyType ?? deployments.find((d) => d.inSync && d.keyType)?.keyType)
    : deployments.find((d) => d.keyType)?.keyType;
  const currentExpiresOn = vault ? vaultExpiry(vault) : undefined;
  const renewBeforeInMs = gateway.renewBeforeInDays * dayInMs;
  const leftInMs = currentExpiresOn ? currentExpiresOn.getTime() - now.getTime() : undefined;
  const vaultFresh = leftInMs !== undefined && leftInMs > renewBeforeInMs;
  const stale = deployments.filter((d) => !d.inSync || d.rolloutPending);

  const base = {
    gateway: gateway.name,
    currentKeyType,
    currentExpiresOn,
    deployments: [
      ...deployments.map((d) => ({
        target: d.label,
        inSync: d.inSync && !d.rolloutPending,
        expiresOn: d.expiresOn,
      })),
      ...pulled.map((d) => ({ target: d.label, inSync: d.inSync })),
    ],
  };
  const mint = (decision: RotationPlan["decision"], reason: string): RotationPlan => ({
    ...base,
    decision,
    reason,
    action: "mint",
    nextKeyType: currentKeyType === "primary" ? "secondary" : "primary",
    nextExpiresOn: nextExpiry(now, gateway.tokenLifetimeInDays),
  });
  const state: PlanState = { now, vault, deployments, pulled };
  const vaultStatus = describeExpiry(leftInMs, gateway.renewBeforeInDays);

  if (force) {
    return { plan: mint("forced", `rotation was requested (${vaultStatus})`), state };
  }
  if (!vault) {
    return {
      plan: mint("out-of-sync", `Key Vault has no secret "${gateway.keyVault.secretName}" yet (first run)`),
      state,
    };
  }
  if (stale.length > 0) {
    const names = stale.map((d) => (d.inSync ? `${d.label}: rollout not confirmed` : d.label));
    const which = `${stale.length} of ${deployments.length} deployments differ from Key Vault (${names.join(", ")})`;
    if (vaultFresh) {
      return {
        plan: {
          ...base,
          decision: "out-of-sync",
          reason: `${which}; ${vaultStatus}: deliver it`,
          action: "deliver",
        },
        state,
      };
    }
    return { plan: mint("out-of-sync", `${which}; ${vaultStatus}: mint a new one`), state };
  }
  if (!vaultFresh) return { plan: mint("expiring", vaultStatus), state };
  return {
    plan: { ...base, decision: "fresh", reason: `${vaultStatus}; ${whoHasIt(pulled)}`, action: "none" },
    state,
  };
}

function pulledStates(
  gateway: GatewayConfig,
  reports: DeliveryReports | undefined,
  vault: StoredToken | undefined,
): PulledState[] {
  return gateway.deployments.filter(isPulled).map((target) => {
    const report = reports?.latest(reportedAs(gateway.name, target));
    return {
      target,
      label: targetLabel(target),
      cluster: target.cluster.name,
      report,
      inSync: vault !== undefined && reportsVersion(report, vault.version),
    };
  });
}

/** True when a report says its deployment runs that Key Vault version. */
export function reportsVersion(report: DeliveryReport | undefined, vaultVersion: string): boolean {
  return (
    report !== undefined &&
    report.vaultVersion === vaultVersion &&
    (report.outcome === "in-sync" || report.outcome === "delivered")
  );
}

function whoHasIt(pulled: PulledState[]): string {
  const waiting = pulled.filter((d) => !d.inSync);
  if (waiting.length === 0) return "every deployment has it";
  return `every pushed deployment has it; waiting for the agents' reports of ${waiting.map((d) => d.label).join(", ")}`;
}

/** The expiry to ask for: now + lifetime, never more than ARM's 30 days. */
export function nextExpiry(now: Date, tokenLifetimeInDays: number): Date {
  const days = Math.min(Math.max(tokenLifetimeInDays, 0), maxTokenLifetimeInDays);
  return new Date(now.getTime() + days * dayInMs);
}

/** Key Vault's recorded expiry, else the one the token carries. */
export function vaultExpiry(stored: StoredToken): Date | undefined {
  return stored.expiresOn ?? tokenExpiry(stored.token);
}

/** True when the Secret records a vault version whose rollout was not confirmed. */
export function isRolloutPending(annotations: Record<string, string>): boolean {
  const written = annotations[secretAnnotations.vaultVersion];
  return Boolean(written) && annotations[secretAnnotations.rolledOutVersion] !== written;
}

function describeExpiry(leftInMs: number | undefined, renewBeforeInDays: number): string {
  if (leftInMs === undefined) return "the expiry of Key Vault's token is unknown";
  const days = leftInMs / dayInMs;
  if (leftInMs <= 0) return `Key Vault's token expired ${formatDays(-days)} ago`;
  const relation = leftInMs > renewBeforeInDays * dayInMs ? "fresh: more than" : "expiring: less than";
  return `Key Vault's token expires in ${formatDays(days)} (${relation} the ${renewBeforeInDays} days renew-before)`;
}
