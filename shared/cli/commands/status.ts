/**
 * `gateway-guard status`: for each configured gateway, Key Vault's token and each deployment's
 * (key type, expiry, in sync with Key Vault), how many ready pods run the current token, and what a
 * rotation would do now; `--format html` renders the fleet page (with each deployment's drift
 * check). Each deployment is read once. Never a token or its hash.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { InputError } from "../../errors.js";
import type { FleetGateway } from "../../live/fleet.js";
import type { GatewayStatusView, PodSummary } from "../../live/status.js";
import type { PulledStatus } from "../../rotation/status.js";
import { packageInfo } from "../../package.js";
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

export const help = `Usage: gateway-guard status [NAME...|--all] --config FILE [options]

Shows, for each configured gateway (or the NAMEd ones): Key Vault's token (key type, expiry,
version), each deployment's Secret (key type, expiry, in sync with Key Vault), how many ready pods
run the current token, and what \`rotate\` would do now. Tokens are compared by hash and never
printed. \`--format html\` writes the fleet page: one self-contained page (no scripts), worst
entries first, with each deployment's failing drift rules.

Options:
  -c, --config FILE     Configuration (YAML or JSON); default: the GATEWAY_GUARD_CONFIG setting
                        (the configuration as JSON) or GATEWAY_GUARD_CONFIG_FILE (its path)
  -a, --all             Every configured gateway (the default when no NAME is given)
  -f, --format FORMAT   table | json | html (default: table)
  -o, --output FILE     Write to FILE instead of standard output
  -h, --help            Show this help

In sync shows ? (null in JSON) when Key Vault or the Secret cannot be read.
Exit codes: 0 everything could be read, 1 something could not be read, 2 usage or input error.

Examples:
  gateway-guard status --config gateway-guard.yaml
  gateway-guard status --config gateway-guard.yaml orders --format json
  gateway-guard status --all --config gateway-guard.yaml --format html --output fleet.html
`;

const options = {
  config: { type: "string", short: "c" },
  all: { type: "boolean", short: "a" },
  format: { type: "string", short: "f" },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

/** Runs `status` with the real adapters. */
export function run(args: string[], io: CliIO): Promise<number> {
  return runWith(args, io, realAdapters(io.env));
}

/**
 * Runs `status` with the given adapters (tests pass ones that trust the local stand-ins).
 * @returns 0, 1 when part of the state could not be read, 2 for bad input
 */
export async function runWith(args: string[], io: CliIO, connect: AdaptersFactory): Promise<number> {
  try {
    const { values, positionals } = parseCommandArgs("status", args, options);
    if (values.help) {
      io.stdout.write(help);
      return 0;
    }
    if (values.all && positionals.length > 0) {
      throw new InputError(
        `give either gateway names or --all, not both (got ${positionals.join(", ")} and --all)`,
      );
    }
    const format = parseFormat(values.format, ["table", "json", "html"]);
    const config = await loadCliConfig(values.config, io, "status");
    const gateways = selectGateways(config, positionals);
    const adapters = await connect(config);
    const { readFleet } = await import("../../live/fleet.js");
    const now = new Date();
    const fleet = await readFleet(gateways, adapters.live, { drift: format === "html", now });
    const views = fleet.map((entry) => entry.status);
    const text =
      format === "html"
        ? await fleetPage(fleet, now)
        : format === "json"
          ? `${JSON.stringify({ gateways: views }, null, 2)}\n`
          : views.map(render).join("\n");
    await writeOutput(io, values.output, text, format);
    const unreadable = views.some((v) => v.vault.error || v.deployments.some((d) => d.error || d.pods.error));
    return unreadable ? 1 : 0;
  } catch (error) {
    return reportInputError(io, error);
  }
}

async function fleetPage(fleet: FleetGateway[], now: Date): Promise<string> {
  const { fleetView, renderFleetPage } = await import("../../report/index.js");
  return renderFleetPage(fleetView(fleet, { now }), { toolVersion: packageInfo().version });
}

async function writeOutput(
  io: CliIO,
  output: string | undefined,
  text: string,
  format: string,
): Promise<void> {
  if (output === undefined) {
    io.stdout.write(text);
    return;
  }
  try {
    await writeFile(resolve(io.cwd ?? process.cwd(), output), text, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new InputError(`${output}: cannot write the status (${reason}); expected a writable file path.`);
  }
  io.stderr.write(`gateway-guard: wrote the ${format} status to ${output}\n`);
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
    if (d.pulled) {
      rows.push([
        d.target,
        "pulled",
        "-",
        d.inSync === null ? "?" : d.inSync ? "yes" : "NO",
        agentColumn(d.pulled),
      ]);
      problems.push(`  ${d.target}: ${describeReport(d.pulled)}`);
      continue;
    }
    rows.push([
      d.target,
      d.hasToken ? (d.keyType ?? "unknown") : "no token",
      expiresIn(d.expiresInDays),
      d.inSync === null ? "?" : d.inSync ? "yes" : "NO",
      pods(d.pods),
    ]);
    if (d.pods.error) problems.push(`  ${d.target}: pods: ${d.pods.error}`);
    else if (d.pods.note) problems.push(`  ${d.target}: ${d.pods.note}`);
    else if (d.pods.stale.length > 0)
      problems.push(`  ${d.target}: started before the rotation: ${d.pods.stale.join(", ")}`);
    if (d.inSync === null && view.vault.error)
      problems.push(`  ${d.target}: in sync unknown: Key Vault cannot be read`);
  }
  return `${lines.join("\n")}\n\n${table(rows)}${problems.length ? `${problems.join("\n")}\n` : ""}`;
}

function pods(summary: PodSummary): string {
  if (summary.error) return "?";
  if (summary.onCurrentToken === undefined) return `?/${summary.ready} (no rotation recorded)`;
  return `${summary.onCurrentToken}/${summary.ready}`;
}

function agentColumn({ report }: PulledStatus): string {
  return report ? `agent: ${report.outcome} ${report.ageInMinutes} min ago` : "agent: no report";
}

function describeReport({ cluster, report }: PulledStatus): string {
  if (!report) return `no report known here from the agent of ${cluster} (the service keeps them)`;
  const which = report.current ? "Key Vault's current" : "NOT Key Vault's current";
  return `the agent of ${cluster} reported version ${short(report.vaultVersion)} (${which}), ${report.outcome}, at ${report.at.toISOString()}`;
}

function short(version: string | undefined): string {
  return version ? version.slice(0, 8) : "unknown";
}
