/**
 * One pass of the agent, and the loop of passes: for each gateway, the rotation engine with the
 * agent's read-only dependencies (so it delivers Key Vault's token when a Secret differs, with
 * pre-flight, the Lease lock, the patch precondition, the restart, the wait and the rollback), then
 * one report per deployment on the cluster's queue. Never a token in a result, a line or a report.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { DeploymentTarget, GatewayConfig } from "../config/types.js";
import { errorText } from "../errors.js";
import { rotateGateway } from "../rotation/rotate.js";
import { targetLabel } from "../rotation/target.js";
import type {
  AbortOptions,
  DeploymentOutcome,
  RolloutProgress,
  RotationDeps,
  RotationOutcome,
} from "../rotation/types.js";
import type { AgentConfig } from "./config.js";
import type { ReadOnlyVault } from "./readOnly.js";
import type { AgentReport, ReportOutcome } from "./report.js";

/** The engine's dependencies as the agent composes them: the read-only vault tells what it read. */
export type AgentRotationDeps = RotationDeps & { vault: ReadOnlyVault };

/** Where reports go (the cluster's Storage queue). */
export interface ReportSender {
  send(report: AgentReport, options?: AbortOptions): Promise<void>;
}

/** What a pass needs. */
export interface AgentDeps {
  rotationDeps(gateway: GatewayConfig): AgentRotationDeps;
  reports: ReportSender;
  now?: () => Date;
}

/**
 * How a gateway's pass ended: `in-sync` (nothing to do), `delivered`, `rolled-back`, `failed`, or
 * `locked` (another delivery holds the gateway's Lease; nothing done, nothing reported).
 */
export type GatewayPassStatus = "in-sync" | "delivered" | "rolled-back" | "failed" | "locked";

export interface GatewayPassResult {
  gateway: string;
  status: GatewayPassStatus;
  reason: string;
  /** What was reported (or tried to be). */
  reports: AgentReport[];
  /** Why the reports could not be sent, when they could not. */
  reportError?: string;
}

export interface AgentPassResult {
  gateways: GatewayPassResult[];
  /** True when every deployment has Key Vault's token and every report was sent. */
  ok: boolean;
}

export interface AgentPassOptions extends AbortOptions {
  onProgress?: (progress: RolloutProgress) => void;
  /** Called as each gateway's pass ends. */
  onGateway?: (result: GatewayPassResult) => void;
}

/**
 * Runs one pass over the configured gateways, one after the other. An abort stops before the next
 * gateway (and, inside the engine, before the next deployment; a started one is finished or rolled back).
 * @param config - the agent configuration
 * @param deps - the engine's dependencies and the report sender
 * @param options - `abortSignal`, progress callbacks
 */
export async function runAgentPass(
  config: AgentConfig,
  deps: AgentDeps,
  options: AgentPassOptions = {},
): Promise<AgentPassResult> {
  const gateways: GatewayPassResult[] = [];
  for (const gateway of config.gateways) {
    if (options.abortSignal?.aborted) break;
    const result = await passGateway(gateway, config.cluster, deps, options);
    gateways.push(result);
    options.onGateway?.(result);
  }
  const ok =
    gateways.length === config.gateways.length &&
    gateways.every((g) => (g.status === "in-sync" || g.status === "delivered") && !g.reportError);
  return { gateways, ok };
}

export interface AgentLoopOptions extends AgentPassOptions {
  intervalInMs: number;
  /** Stops the loop: the pass under way ends early (see {@link runAgentPass}), no new one starts. */
  abortSignal: AbortSignal;
  onPass?: (result: AgentPassResult) => void;
}

/**
 * Runs passes until `abortSignal` fires, `intervalInMs` apart (from the end of one to the start of the next).
 * @returns the last pass's result, or undefined when stopped before the first ended
 */
export async function runAgentLoop(
  config: AgentConfig,
  deps: AgentDeps,
  options: AgentLoopOptions,
): Promise<AgentPassResult | undefined> {
  let last: AgentPassResult | undefined;
  while (!options.abortSignal.aborted) {
    last = await runAgentPass(config, deps, options);
    options.onPass?.(last);
    await delay(options.intervalInMs, undefined, { signal: options.abortSignal }).catch(() => undefined);
  }
  return last;
}

async function passGateway(
  gateway: GatewayConfig,
  cluster: string,
  deps: AgentDeps,
  options: AgentPassOptions,
): Promise<GatewayPassResult> {
  const rotation = deps.rotationDeps(gateway);
  const at = () => (deps.now?.() ?? new Date()).toISOString();
  const report = (target: DeploymentTarget, outcome: ReportOutcome, reason?: string): AgentReport => ({
    v: 1,
    gateway: gateway.name,
    cluster,
    namespace: target.namespace,
    deployment: target.deployment,
    ...(rotation.vault.lastVersion ? { vaultVersion: rotation.vault.lastVersion } : {}),
    outcome,
    at: at(),
    ...(reason ? { reason } : {}),
  });

  let result: GatewayPassResult;
  try {
    const outcome = await rotateGateway(gateway, rotation, {
      revokeOldKey: false,
      abortSignal: options.abortSignal,
      onProgress: options.onProgress,
    });
    const byTarget = new Map(outcome.deployments.map((d) => [d.target, d]));
    const inSync = new Set(outcome.plan.deployments.filter((d) => d.inSync).map((d) => d.target));
    result = {
      gateway: gateway.name,
      status: passStatus(outcome),
      reason: outcome.reason,
      reports: gateway.deployments.map((target) => {
        const label = targetLabel(target);
        const [status, reason] = reportOutcome(byTarget.get(label), inSync.has(label));
        return report(target, status, reason);
      }),
    };
  } catch (error) {
    const reason = errorText(error);
    if (error instanceof Error && error.name === "LockHeldError") {
      return { gateway: gateway.name, status: "locked", reason, reports: [] };
    }
    result = {
      gateway: gateway.name,
      status: "failed",
      reason,
      reports: gateway.deployments.map((target) => report(target, "failed", reason)),
    };
  }
  try {
    for (const r of result.reports) await deps.reports.send(r, { abortSignal: options.abortSignal });
  } catch (error) {
    result.reportError = errorText(error);
  }
  return result;
}

function passStatus(outcome: RotationOutcome): GatewayPassStatus {
  switch (outcome.status) {
    case "fresh":
    case "planned":
      return "in-sync";
    case "rotated":
    case "delivered":
    case "unrevoked":
      return "delivered";
    case "rolled-back":
    case "failed":
      return outcome.status;
  }
}

/** A deployment's report outcome and reason from the engine's outcome for it. */
function reportOutcome(
  outcome: DeploymentOutcome | undefined,
  plannedInSync: boolean,
): [ReportOutcome, string | undefined] {
  switch (outcome?.status) {
    case "rotated":
    case "delivered":
      return ["delivered", undefined];
    case "rolled-back":
      return ["rolled-back", outcome.reason];
    case "unchanged":
      return plannedInSync ? ["in-sync", undefined] : ["failed", outcome.reason ?? "not delivered"];
    default:
      return ["failed", outcome?.reason ?? "no outcome for this deployment"];
  }
}
