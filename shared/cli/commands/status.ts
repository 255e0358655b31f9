/**
 * `gateway-guard status`: for each configured gateway, Key Vault's token and each deployment's
 * (key type, expiry, in sync with Key Vault), how many ready pods started after the last rotation
 * (and so run the current token), and what a rotation would do now. Never a token or its hash.
 */
import type { Adapters } from "../../compose/adapters.js";
import type { DeploymentTarget, GatewayConfig } from "../../config/types.js";
import type { LiveData } from "../../drift/types.js";
import { startedBeforeRotation } from "../../drift/rules/live.js";
import type { DeploymentTokenStatus, GatewayStatus } from "../../rotation/status.js";
import { targetLabel } from "../../rotation/target.js";
import { errorText } from "../../errors.js";
import { parseCommandArgs, parseFormat } from "../args.js";
import {
  expiresIn,
  loadCliConfig,
  realAdapters,
  reportInputError,
  selectGateways,
  table,
  type AdaptersFactory,
} from "../connect.js";
import type { CliIO } from "../io.js";

export const help = `Usage: gateway-guard status --config FILE [NAME...] [options]

Shows, for each configured gateway (or the NAMEd ones): Key Vault's token (key type, expiry,
version), each deployment's Secret (key type, expiry, in sync with Key Vault), how many ready pods
started after the last rotation and so run the current token, and what \`rotate\` would do now.
Tokens are compared by hash and never printed.

Options:
  -c, --config FILE     Configuration (YAML or JSON); default: the GATEWAY_GUARD_CONFIG setting
                        (the configuration as JSON) or GATEWAY_GUARD_CONFIG_FILE (its path)
  -f, --format FORMAT   table | json (default: table)
  -h, --help            Show this help

Exit codes: 0 everything could be read, 1 something could not be read, 2 usage or input error.

Examples:
  gateway-guard status --config gateway-guard.yaml
  gateway-guard status --config gateway-guard.yaml orders --format json
`;

const options = {
  config: { type: "string", short: "c" },
  format: { type: "string", short: "f" },
  help: { type: "boolean", short: "h" },
} as const;

/** Pods of a deployment as status shows them. */
export interface PodSummary {
  ready: number;
  /**
   * Ready pods that run Key Vault's current token: 0 when the Secret differs from Key Vault, else
   * those started after the Secret's last rotation; undefined when no rotation is recorded.
   */
  onCurrentToken?: number;
  /** Names of ready pods started before it. */
  stale: string[];
  /** Why no pod counts as current, e.g. the Secret differs from Key Vault. */
  note?: string;
  error?: string;
}

/** One gateway's status with its pods, as `--format json` prints it. */
export interface GatewayStatusView {
  gateway: string;
  apim: GatewayConfig["apim"];
  vault: Omit<GatewayStatus["vault"], "sha256">;
  decision?: GatewayStatus["decision"];
  action?: GatewayStatus["action"];
  reason?: string;
  deployments: Array<Omit<DeploymentTokenStatus, "sha256"> & { pods: PodSummary }>;
}

/** Runs `status` with the real adapters. */
export function run(args: string[], io: CliIO): Promise<number> {
  return runWith(args, io, realAdapters(io.env));
}

/**
 * Runs `status` with the given adapters (tests pass ones that trust the local stand-ins).
 * @returns 0, 1 when part of the state could not be read, 2 for bad input
 */
export async function runWith(args: string[], io: CliIO, connect: AdaptersFactory): Promise<number> {
  let views: GatewayStatusView[];
  let format: "table" | "json";
  try {
    const { values, positionals } = parseCommandArgs("status", args, options);
    if (values.help) {
      io.stdout.write(help);
      return 0;
    }
    format = parseFormat(values.format, ["table", "json"]);
    const config = await loadCliConfig(values.config, io, "status");
    const gateways = selectGateways(config, positionals);
    const adapters = await connect(config);
    views = await Promise.all(gateways.map((gateway) => statusOf(gateway, adapters)));
  } catch (error) {
    return reportInputError(io, error);
  }
  io.stdout.write(
    format === "json" ? `${JSON.stringify({ gateways: views }, null, 2)}\n` : views.map(render).join("\n"),
  );
  const unreadable = views.some((v) => v.vault.error || v.deployments.some((d) => d.error || d.pods.error));
  return unreadable ? 1 : 0;
}

/**
 * Reads one gateway's status: the engine's view of the tokens and, per deployment, its pods.
 * @param gateway - the gateway.
 * @param adapters - the real adapters.
 */
export async function statusOf(gateway: GatewayConfig, adapters: Adapters): Promise<GatewayStatusView> {
  const [{ gatewayStatus }, { readLiveObjects }] = await Promise.all([
    import("../../rotation/status.js"),
    import("../../kube/live.js"),
  ]);
  const deps = adapters.rotationDeps(gateway);
  const [status, pods] = await Promise.all([
    gatewayStatus(gateway, deps),
    Promise.all(
      gateway.deployments.map(async (target: DeploymentTarget): Promise<PodSummary> => {
        try {
          const { live } = await readLiveObjects(target, adapters.cluster(target.cluster));
          return podSummary(live);
        } catch (error) {
          return { ready: 0, stale: [], error: errorText(error) };
        }
      }),
    ),
  ]);
  const { sha256: _vaultHash, ...vault } = status.vault;
  return {
    gateway: gateway.name,
    apim: gateway.apim,
    vault,
    decision: status.decision,
    action: status.action,
    reason: status.reason,
    deployments: gateway.deployments.map((target, i) => {
      const found = status.deployments.find((d) => d.target === targetLabel(target)) ?? status.deployments[i];
      const { sha256: _hash, ...rest } = found ?? {
        target: targetLabel(target),
        hasToken: false,
        inSync: false,
      };
      const known = !rest.error && !vault.error;
      return { ...rest, pods: known && !rest.inSync ? notOnVaultToken(pods[i], vault.exists) : pods[i] };
    }),
  };
}

function podSummary(live: LiveData): PodSummary {
  const ready = (live.pods ?? []).filter((pod) => pod.ready);
  if (!live.lastRotatedAt) return { ready: ready.length, stale: [] };
  const rotatedAt = live.lastRotatedAt;
  const stale = ready.filter((pod) => !pod.startedAt || startedBeforeRotation(pod.startedAt, rotatedAt));
  return {
    ready: ready.length,
    onCurrentToken: ready.length - stale.length,
    stale: stale.map((pod) => pod.name),
  };
}

/** No pod runs Key Vault's token while the Secret holds another one (or Key Vault has none). */
function notOnVaultToken(summary: PodSummary, vaultExists: boolean): PodSummary {
  if (summary.error) return summary;
  return {
    ready: summary.ready,
    onCurrentToken: 0,
    stale: [],
    note: vaultExists
      ? "the Secret differs from Key Vault: no pod runs Key Vault's token"
      : "Key Vault has no token yet: no pod runs a token gateway-guard manages",
  };
}

function render(view: GatewayStatusView): string {
  const { vault } = view;
  const lines = [`Gateway ${view.gateway} (APIM gateway ${view.apim.gatewayId} in ${view.apim.service})`];
  if (vault.error) lines.push(`  Key Vault secret ${vault.secretName}: cannot read (${vault.error})`);
  else if (!vault.exists)
    lines.push(`  Key Vault secret ${vault.secretName}: none yet (the first rotation creates it)`);
  else {
    const when = vault.expiresOn ? ` (${vault.expiresOn.toISOString()})` : "";
    lines.push(
      `  Key Vault secret ${vault.secretName}: ${vault.keyType ?? "unknown"} key, expires ${expiresIn(vault.expiresInDays)}${when}, version ${short(vault.version)}`,
    );
  }
  lines.push(
    view.decision
      ? `  Rotation now: ${view.decision} (${view.action === "none" ? "nothing to do" : view.action}): ${view.reason}`
      : "  Rotation now: unknown (part of the state could not be read)",
  );
  const rows = [["DEPLOYMENT", "KEY", "EXPIRES", "IN SYNC", "PODS ON CURRENT TOKEN"]];
  const problems: string[] = [];
  for (const d of view.deployments) {
    if (d.error) {
      rows.push([d.target, "?", "?", "?", "?"]);
      problems.push(`  ${d.target}: ${d.error}`);
      continue;
    }
    rows.push([
      d.target,
      d.hasToken ? (d.keyType ?? "unknown") : "no token",
      expiresIn(d.expiresInDays),
      d.inSync ? "yes" : "NO",
      pods(d.pods),
    ]);
    if (d.pods.error) problems.push(`  ${d.target}: pods: ${d.pods.error}`);
    else if (d.pods.note) problems.push(`  ${d.target}: ${d.pods.note}`);
    else if (d.pods.stale.length > 0)
      problems.push(`  ${d.target}: started before the rotation: ${d.pods.stale.join(", ")}`);
  }
  return `${lines.join("\n")}\n\n${table(rows)}${problems.length ? `${problems.join("\n")}\n` : ""}`;
}

function pods(summary: PodSummary): string {
  if (summary.error) return "?";
  if (summary.onCurrentToken === undefined) return `${summary.ready} ready (no rotation recorded)`;
  return `${summary.onCurrentToken}/${summary.ready}`;
}

function short(version: string | undefined): string {
  return version ? version.slice(0, 8) : "unknown";
}
