/**
 * What `status` shows for a gateway, from one live read: the engine's view of Key Vault's token and
 * each deployment's (key type, expiry, in sync), what a rotation would do now, and how many ready
 * pods run the current token, judged by the same rule as `check` (pods-have-current-token).
 * Never a token or its hash.
 */
import type { GatewayConfig } from "../config/types.js";
import { podsOnCurrentToken } from "../drift/rules/live.js";
import { errorText } from "../errors.js";
import {
  statusFromReadings,
  type DeploymentTokenStatus,
  type GatewayStatus,
  type StatusReadings,
} from "../rotation/status.js";
import type { DeploymentReading, GatewayReading } from "./read.js";
import { isPulled } from "../rotation/target.js";

/** Pods of a deployment as status shows them. */
export interface PodSummary {
  ready: number;
  /**
   * Ready pods that run Key Vault's current token: 0 when the Secret differs from Key Vault, else
   * those started after the Secret's last rotation; undefined when that cannot be told (`note`).
   */
  onCurrentToken?: number;
  /** Names of ready pods not on the current token. */
  stale: string[];
  /** Why no pod counts as current, or why it cannot be told. */
  note?: string;
  error?: string;
}

/** One gateway's status with its pods, as `status --format json` prints it. */
export interface GatewayStatusView {
  gateway: string;
  apim: GatewayConfig["apim"];
  /** Days before expiry at which a rotation renews the token. */
  renewBeforeInDays: number;
  vault: Omit<GatewayStatus["vault"], "sha256">;
  decision?: GatewayStatus["decision"];
  action?: GatewayStatus["action"];
  reason?: string;
  deployments: DeploymentStatusView[];
}

/** One deployment in a {@link GatewayStatusView}. */
export type DeploymentStatusView = Omit<DeploymentTokenStatus, "sha256"> & { pods: PodSummary };

/**
 * A gateway's status from its live reading.
 * @param reading - Key Vault and every deployment, each read once ({@link readGateway}).
 * @param now - the time to judge expiry against.
 */
export function statusView(reading: GatewayReading, now: Date): GatewayStatusView {
  const { gateway } = reading;
  const readings: StatusReadings = {
    vault: reading.vault,
    deployments: reading.deployments.map((d) => ({
      target: d.target,
      cluster: d.cluster,
      secret: d.read?.token
        ? { ok: true, value: d.read.token }
        : { ok: false, error: d.read?.tokenError ?? errorText(d.error) },
    })),
    reports: reading.reports,
  };
  const status = statusFromReadings(gateway, readings, now);
  const { sha256: _vaultHash, ...vault } = status.vault;
  return {
    gateway: gateway.name,
    apim: gateway.apim,
    renewBeforeInDays: gateway.renewBeforeInDays,
    vault,
    decision: status.decision,
    action: status.action,
    reason: status.reason,
    deployments: status.deployments.map(({ sha256: _hash, ...deployment }, i) => ({
      ...deployment,
      pods: podSummary(reading.deployments[i]),
    })),
  };
}

function podSummary({ target, read, error }: DeploymentReading): PodSummary {
  if (isPulled(target))
    return { ready: 0, stale: [], note: "pulled: its agent delivers, the service does not read its pods" };
  if (!read) return { ready: 0, stale: [], error: errorText(error) };
  const pods = podsOnCurrentToken(read.live);
  if (!pods) {
    return { ready: 0, stale: [], error: read.live.errors?.join("; ") ?? "the pods could not be read" };
  }
  const startUnknown = pods.unknownStart.length
    ? `start time unknown for ${pods.unknownStart.join(", ")}`
    : undefined;
  const note = pods.reason ?? startUnknown;
  return {
    ready: pods.ready,
    ...(pods.current !== undefined ? { onCurrentToken: pods.current } : {}),
    stale: pods.reason ? [] : pods.behind,
    ...(note ? { note } : {}),
  };
}
