/**
 * The fleet page's view model: one row per gateway deployment with what a person needs at a glance
 * (days left against the thresholds, key type, sync, pods on the current token, the last rotation
 * and its outcome, failing drift rules), ordered worst first. Pure: data in, data out.
 */
import type { Finding, Report, Severity } from "../drift/types.js";
import type { DeploymentStatusView, GatewayStatusView } from "../live/status.js";
import type { PulledStatus } from "../rotation/status.js";
import { sortFindings } from "../drift/format/common.js";

/** Where a token's days left fall: the bar's colour. */
export type Urgency = "expired" | "critical" | "expiring" | "fresh" | "unknown";

/** Below this many days a token is `critical`, whatever the gateway's renew-before. */
export const criticalBelowInDays = 2;

/** The longest a gateway token lives: a full bar. */
export const barFullInDays = 30;

/** How the last rotation ended for a deployment, as the Secret and Key Vault tell it. */
export interface RotationOutcomeView {
  label: string;
  tone: "ok" | "warn" | "bad" | "muted";
  /** One sentence on what it means. */
  detail: string;
}

/** One gateway deployment on the page. */
export interface FleetRow {
  /** Anchor of its details on the page. */
  id: string;
  gateway: string;
  /** `<cluster>/<namespace>/<deployment>` */
  target: string;
  daysLeft?: number;
  urgency: Urgency;
  /** Width of the days-left bar, 0–100. */
  barPercent: number;
  renewBeforeInDays: number;
  /** `primary`, `secondary`, `unknown` (a token whose key cannot be told), `none`, or `?` (not read). */
  keyType: string;
  /** Null when unknown (Key Vault or the Secret could not be read). */
  inSync: boolean | null;
  pods: DeploymentStatusView["pods"];
  lastRotation?: Date;
  outcome: RotationOutcomeView;
  /** Failing drift findings, most severe first; undefined when the deployment was not checked. */
  failing?: Finding[];
  /** The most severe failing finding's severity. */
  worstSeverity?: Severity;
  /** Why part of the row could not be read. */
  errors: string[];
}

/** A gateway's own facts: Key Vault's token and what a rotation would do now. */
export interface FleetGatewayView {
  name: string;
  apim: string;
  vault: GatewayStatusView["vault"];
  decision?: string;
  reason?: string;
  /** Its deployments: the anchor of each one's details and its label. */
  deployments: Array<{ id: string; target: string }>;
}

export interface FleetView {
  generatedAt: Date;
  /** Worst first. */
  rows: FleetRow[];
  /** In the order of their worst row. */
  gateways: FleetGatewayView[];
  counts: Record<Urgency, number>;
}

/** What the page is built from: per gateway its status and, per deployment, its drift report. */
export interface FleetInput {
  status: GatewayStatusView;
  reports: Array<Report | undefined>;
}

export interface FleetViewOptions {
  now: Date;
}

/**
 * Builds the page's rows, worst first.
 * @param fleet - per gateway, its status and drift reports (in deployment order).
 * @param options - the time the data was read.
 */
export function fleetView(fleet: readonly FleetInput[], options: FleetViewOptions): FleetView {
  const rows: FleetRow[] = [];
  const gateways = fleet.map(({ status, reports }, g): FleetGatewayView => {
    const deployments = status.deployments.map((deployment, d) => {
      const row = fleetRow(status, deployment, reports[d], `d${g + 1}-${d + 1}`);
      rows.push(row);
      return { id: row.id, target: row.target };
    });
    return {
      name: status.gateway,
      apim: `${status.apim.service}/${status.apim.gatewayId}`,
      vault: status.vault,
      decision: status.decision,
      reason: status.reason,
      deployments,
    };
  });
  rows.sort(worstFirst);
  const firstRow = (gateway: FleetGatewayView) => rows.findIndex((row) => row.gateway === gateway.name);
  gateways.sort((a, b) => firstRow(a) - firstRow(b));
  const counts: Record<Urgency, number> = { expired: 0, critical: 0, expiring: 0, fresh: 0, unknown: 0 };
  for (const row of rows) counts[row.urgency] += 1;
  return { generatedAt: options.now, rows, gateways, counts };
}

/**
 * The colour band of a token's days left.
 * @param daysLeft - negative when expired; undefined when unknown.
 * @param renewBeforeInDays - the gateway's renew-before threshold.
 */
export function urgencyOf(daysLeft: number | undefined, renewBeforeInDays: number): Urgency {
  if (daysLeft === undefined) return "unknown";
  if (daysLeft <= 0) return "expired";
  if (daysLeft < criticalBelowInDays) return "critical";
  if (daysLeft <= renewBeforeInDays) return "expiring";
  return "fresh";
}

function fleetRow(
  status: GatewayStatusView,
  d: DeploymentStatusView,
  report: Report | undefined,
  id: string,
): FleetRow {
  const urgency = d.error ? "unknown" : urgencyOf(d.expiresInDays, status.renewBeforeInDays);
  const failing = report ? sortFindings(report.findings.filter((f) => f.status === "fail")) : undefined;
  const errors = [d.error, d.pods.error, status.vault.error && `Key Vault: ${status.vault.error}`];
  return {
    id,
    gateway: status.gateway,
    target: d.target,
    daysLeft: d.error ? undefined : d.expiresInDays,
    urgency,
    barPercent: barPercent(urgency, d.expiresInDays),
    renewBeforeInDays: status.renewBeforeInDays,
    keyType: d.error ? "?" : d.pulled ? "pulled" : d.hasToken ? (d.keyType ?? "unknown") : "none",
    inSync: d.error ? null : d.inSync,
    pods: d.pods,
    lastRotation: d.rotatedAt,
    outcome: outcomeOf(status.vault, d),
    failing,
    worstSeverity: failing?.[0]?.severity,
    errors: [...new Set(errors.filter((e): e is string => Boolean(e)))],
  };
}

function barPercent(urgency: Urgency, daysLeft: number | undefined): number {
  if (urgency === "expired" || urgency === "unknown" || daysLeft === undefined) return 100;
  return Math.round(Math.min(100, Math.max(3, (daysLeft / barFullInDays) * 100)));
}

/**
 * The last rotation's outcome for a deployment, derived from the Secret's annotations (trusted only
 * while they describe its token) and Key Vault's current version: nothing records it directly.
 */
export function outcomeOf(vault: GatewayStatusView["vault"], d: DeploymentStatusView): RotationOutcomeView {
  if (d.error) return { label: "unknown", tone: "muted", detail: "The deployment could not be read." };
  if (d.pulled) return pulledOutcome(d.pulled, d.inSync);
  if (!d.hasToken) return { label: "no token", tone: "bad", detail: "The Secret holds no token." };
  if (d.rolloutPending) {
    return {
      label: "rollout not confirmed",
      tone: "warn",
      detail:
        "The Secret was written but its rollout never finished (a run stopped or the rollout failed): some pods may run an older token.",
    };
  }
  if (d.inSync === null) {
    return d.rotatedAt
      ? {
          label: "recorded",
          tone: "muted",
          detail: "The Secret records a rotation; Key Vault cannot be read to confirm it.",
        }
      : {
          label: "unknown",
          tone: "muted",
          detail: "Key Vault cannot be read and the Secret records no rotation.",
        };
  }
  if (d.inSync) {
    return d.rotatedAt
      ? {
          label: "completed",
          tone: "ok",
          detail: "The Secret holds Key Vault's current token and its rollout finished.",
        }
      : {
          label: "in sync, not recorded",
          tone: "muted",
          detail:
            "The Secret holds Key Vault's current token, but no rotation by gateway-guard is recorded for it.",
        };
  }
  if (!vault.exists) {
    return {
      label: "never rotated",
      tone: "warn",
      detail: "Key Vault has no token yet: gateway-guard never rotated this gateway.",
    };
  }
  if (!d.rotatedAt) {
    return {
      label: "changed by hand",
      tone: "bad",
      detail: "The Secret holds a token gateway-guard did not write (its annotations describe another one).",
    };
  }
  const written = vault.createdOn ? ` (written ${vault.createdOn.toISOString()})` : "";
  return {
    label: "not delivered",
    tone: "bad",
    detail: `Key Vault holds a newer token${written} that this deployment did not get: the rotation was rolled back, failed or stopped before it.`,
  };
}

const urgencyRank: Record<Urgency, number> = { expired: 0, critical: 1, unknown: 2, expiring: 3, fresh: 9 };

function rank(row: FleetRow): number {
  const base = urgencyRank[row.urgency];
  if (base < 9) return base;
  if (row.errors.length > 0) return 2;
  const behind = row.pods.onCurrentToken !== undefined && row.pods.onCurrentToken < row.pods.ready;
  if (row.inSync === false || behind || row.outcome.tone === "bad") return 4;
  if (row.worstSeverity === "error" || row.outcome.tone === "warn") return 5;
  if (row.failing?.length) return 6;
  return 7;
}

function worstFirst(a: FleetRow, b: FleetRow): number {
  return (
    rank(a) - rank(b) ||
    (a.daysLeft ?? -Infinity) - (b.daysLeft ?? -Infinity) ||
    (b.failing?.length ?? 0) - (a.failing?.length ?? 0) ||
    a.gateway.localeCompare(b.gateway) ||
    a.target.localeCompare(b.target)
  );
}

/** A pulled deployment's outcome: what its agent last reported (its cluster is never read). */
function pulledOutcome({ cluster, report }: PulledStatus, inSync: boolean | null): RotationOutcomeView {
  if (!report) {
    return {
      label: "no report",
      tone: "muted",
      detail: `No report from the agent of ${cluster} is known here.`,
    };
  }
  const which = report.current ? "Key Vault's current version" : "not Key Vault's current version";
  return {
    label: `agent: ${report.outcome}`,
    tone: inSync ? "ok" : "warn",
    detail: `The agent of ${cluster} reported ${which}, ${report.outcome}, ${report.ageInMinutes} minutes ago.`,
  };
}
