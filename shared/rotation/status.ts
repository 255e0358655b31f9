/**
 * What the `status` command shows for a gateway: Key Vault's token and each deployment's, compared
 * by hash, with what a rotation would do now. Reading errors are reported per part, not thrown.
 */
import type { DeploymentTarget, GatewayConfig } from "../config/types.js";
import { errorText } from "../errors.js";
import { sha256 } from "../token/parse.js";
import { annotationsDescribeToken, secretTokenInfo } from "../token/secretInfo.js";
import { daysUntil } from "../token/days.js";
import {
  decideRotation,
  isRolloutPending,
  reportsVersion,
  vaultExpiry,
  type RotationReadings,
} from "./plan.js";
import { isPulled, reportedAs, targetLabel } from "./target.js";
import {
  secretAnnotations,
  type DeliveryReport,
  type DeliveryReports,
  type DeploymentTokenState,
  type GatewayCluster,
  type KeyType,
  type PlanDecision,
  type RotationDeps,
  type RotationPlan,
  type StoredToken,
} from "./types.js";

export interface VaultTokenStatus {
  secretName: string;
  exists: boolean;
  version?: string;
  keyType?: KeyType;
  /** When this version was written: the last rotation that minted or stored a token. */
  createdOn?: Date;
  expiresOn?: Date;
  /** Negative when expired. */
  expiresInDays?: number;
  /** SHA-256 (hex) of the token, never the token. */
  sha256?: string;
  /** Why Key Vault could not be read. */
  error?: string;
}

export interface DeploymentTokenStatus {
  /** `<context-or-server>/<namespace>/<deployment>` */
  target: string;
  secretName?: string;
  secretKey?: string;
  hasToken: boolean;
  keyType?: KeyType;
  expiresOn?: Date;
  expiresInDays?: number;
  /** The Secret holds Key Vault's current token; null when Key Vault or the Secret could not be read. */
  inSync: boolean | null;
  /** The token was written but its rollout never confirmed: pods may still run an older token. */
  rolloutPending: boolean;
  sha256?: string;
  vaultVersion?: string;
  /**
   * When gateway-guard last wrote the Secret (pods started before it run an older token); only
   * while the Secret's annotations describe the token it holds.
   */
  rotatedAt?: Date;
  /** Why the deployment could not be read. */
  error?: string;
  /** A pulled deployment (pull mode): its cluster is never read; what its agent last reported. */
  pulled?: PulledStatus;
}

/** What the agent of a pulled deployment last reported, as status shows it. */
export interface PulledStatus {
  cluster: string;
  /** Absent when no report is known (none yet, or the reports are not available here, e.g. the CLI). */
  report?: {
    vaultVersion?: string;
    /** The reported version is Key Vault's current one. */
    current: boolean;
    outcome: DeliveryReport["outcome"];
    at: Date;
    ageInMinutes: number;
  };
}

export interface GatewayStatus {
  gateway: string;
  vault: VaultTokenStatus;
  deployments: DeploymentTokenStatus[];
  /** What a rotation would do now; absent when something could not be read. */
  decision?: PlanDecision;
  action?: RotationPlan["action"];
  reason?: string;
}

/** What {@link statusFromReadings} judges: Key Vault and each deployment's Secret, each read once. */
export interface StatusReadings {
  vault: Settled<StoredToken | undefined>;
  /** In configuration order; `cluster` is what the planner gets for the deployment. */
  deployments: Array<{
    target: DeploymentTarget;
    cluster?: GatewayCluster;
    secret: Settled<DeploymentTokenState>;
  }>;
  /** The agents' reports, for pulled deployments. */
  reports?: DeliveryReports;
}

/**
 * Reads a gateway's token state for display.
 * @param gateway - the gateway's configuration
 * @param deps - the vault, the clusters and the clock
 */
export async function gatewayStatus(
  gateway: GatewayConfig,
  deps: Pick<RotationDeps, "vault" | "clusterFor" | "now">,
): Promise<GatewayStatus> {
  const [vault, deployments] = await Promise.all([
    settle(() => deps.vault.current(gateway.keyVault.secretName)),
    Promise.all(
      gateway.deployments.map(async (target) => {
        let cluster: GatewayCluster | undefined;
        const secret = await settle(() => {
          cluster = deps.clusterFor(target);
          return cluster.readToken(target);
        });
        return { target, cluster, secret };
      }),
    ),
  ]);
  return statusFromReadings(gateway, { vault, deployments }, deps.now?.() ?? new Date());
}

/**
 * A gateway's token state for display from what was read, without any I/O.
 * @param gateway - the gateway's configuration
 * @param readings - Key Vault and each deployment's Secret, or why each could not be read
 * @param now - the time to judge expiry against
 */
export function statusFromReadings(
  gateway: GatewayConfig,
  { vault, deployments: all, reports }: StatusReadings,
  now: Date,
): GatewayStatus {
  const stored = vault.ok ? vault.value : undefined;
  const expiresOn = stored ? vaultExpiry(stored) : undefined;
  const status: GatewayStatus = {
    gateway: gateway.name,
    vault: {
      secretName: gateway.keyVault.secretName,
      exists: stored !== undefined,
      version: stored?.version,
      keyType: stored?.keyType,
      createdOn: stored?.createdOn,
      expiresOn,
      expiresInDays: expiresOn ? daysUntil(expiresOn, now) : undefined,
      sha256: stored ? sha256(stored.token) : undefined,
      error: vault.ok ? undefined : vault.error,
    },
    deployments: [],
  };

  const secrets = all.filter((s) => !isPulled(s.target));
  const readable = vault.ok && secrets.every((s) => s.secret.ok && s.cluster);
  if (readable) {
    const readings: RotationReadings = {
      vault: stored,
      secrets: secrets.map((s) => ({
        target: s.target,
        cluster: s.cluster as GatewayCluster,
        secret: (s.secret as { value: DeploymentTokenState }).value,
      })),
      reports,
    };
    const { plan, state } = decideRotation(gateway, readings, now, false);
    status.decision = plan.decision;
    status.action = plan.action;
    status.reason = plan.reason;
    status.deployments = state.deployments.map((d) => deploymentStatus(d.label, d.secret, vault, now, d));
  } else {
    status.deployments = secrets.map((s) =>
      s.secret.ok
        ? deploymentStatus(targetLabel(s.target), s.secret.value, vault, now)
        : {
            target: targetLabel(s.target),
            hasToken: false,
            inSync: null,
            rolloutPending: false,
            error: s.secret.error,
          },
    );
  }
  const pushed = new Map(status.deployments.map((d) => [d.target, d]));
  status.deployments = all.map(({ target }) =>
    isPulled(target)
      ? pulledStatus(target, reports?.latest(reportedAs(gateway.name, target)), vault, now)
      : (pushed.get(targetLabel(target)) as DeploymentTokenStatus),
  );
  return status;
}

function pulledStatus(
  target: DeploymentTarget & { cluster: { name: string } },
  report: DeliveryReport | undefined,
  vault: Settled<StoredToken | undefined>,
  now: Date,
): DeploymentTokenStatus {
  const stored = vault.ok ? vault.value : undefined;
  const current = stored !== undefined && report !== undefined && reportsVersion(report, stored.version);
  const at = report && new Date(report.at);
  return {
    target: targetLabel(target),
    hasToken: report?.vaultVersion !== undefined,
    inSync: vault.ok ? current : null,
    rolloutPending: false,
    vaultVersion: report?.vaultVersion,
    pulled: {
      cluster: target.cluster.name,
      ...(report && at
        ? {
            report: {
              vaultVersion: report.vaultVersion,
              current: stored !== undefined && report.vaultVersion === stored.version,
              outcome: report.outcome,
              at,
              ageInMinutes: Math.max(0, Math.round((now.getTime() - at.getTime()) / 60_000)),
            },
          }
        : {}),
    },
  };
}

function deploymentStatus(
  target: string,
  secret: DeploymentTokenState,
  vault: Settled<StoredToken | undefined>,
  now: Date,
  decided?: { keyType?: KeyType; expiresOn?: Date; inSync: boolean },
): DeploymentTokenStatus {
  const stored = vault.ok ? vault.value : undefined;
  const described = annotationsDescribeToken(secret.annotations, secret.token, stored);
  const rotatedAt = described ? dateOf(secret.annotations[secretAnnotations.rotatedAt]) : undefined;
  const info = decided ?? secretTokenInfo(secret.annotations, secret.token, stored);
  const expiresOn = info.expiresOn;
  return {
    target,
    secretName: secret.secretName,
    secretKey: secret.secretKey,
    hasToken: secret.token !== undefined,
    keyType: info.keyType,
    expiresOn,
    expiresInDays: expiresOn ? daysUntil(expiresOn, now) : undefined,
    inSync: decided?.inSync ?? (vault.ok ? stored !== undefined && secret.token === stored.token : null),
    rolloutPending: isRolloutPending(secret.annotations),
    sha256: secret.token ? sha256(secret.token) : undefined,
    vaultVersion: secret.annotations[secretAnnotations.vaultVersion] || undefined,
    ...(rotatedAt ? { rotatedAt } : {}),
  };
}

function dateOf(value: string | undefined): Date | undefined {
  const date = value ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** A read that succeeded with a value, or the text of its error. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Runs a read and keeps its error as text instead of throwing.
 * @param read - the read.
 */
export async function settle<T>(read: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, error: errorText(error) };
  }
}
