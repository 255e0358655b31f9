/**
 * `gateway-guard rotate`: runs the rotation protocol for the named gateways (or `--all`), one after
 * the other: prints each plan, rollout progress on stderr, and the outcome. `--dry-run` prints only
 * the plans. Never prints a token.
 */
import type { GatewayConfig } from "../../config/types.js";
import { errorText, InputError } from "../../errors.js";
import type { RotationLogger, RotationOutcome, RotationPlan } from "../../rotation/types.js";
import { parseCommandArgs, parseFormat } from "../args.js";
import {
  loadCliConfig,
  realAdapters,
  reportInputError,
  selectGateways,
  table,
  type AdaptersFactory,
} from "../connect.js";
import type { CliIO } from "../io.js";

export const help = `Usage: gateway-guard rotate [NAME...|--all] --config FILE [options]

Rotates the gateway token of the NAMEd gateways (or of every configured one with --all): lock,
plan, mint with the other key, store in Key Vault, patch each deployment's Secret, roll it out and
wait; roll back a deployment whose rollout fails; revoke the old key only after every deployment
succeeded (when asked). A fresh token is left alone unless --force is given.

Options:
  -c, --config FILE     Configuration (YAML or JSON); default: the GATEWAY_GUARD_CONFIG setting
                        (the configuration as JSON) or GATEWAY_GUARD_CONFIG_FILE (its path)
  -a, --all             Every configured gateway
      --dry-run         Print the plan only; change nothing
      --force           Rotate even when the token is fresh
      --revoke-old-key  Regenerate the old key after success (overrides the configuration)
  -f, --format FORMAT   table | json (default: table)
  -h, --help            Show this help

Exit codes: 0 every gateway succeeded or was fresh, 1 one failed or was rolled back,
2 usage or input error (an invalid configuration lists every problem; a gateway rejected as bad
input is reported with the others, which still run).

Examples:
  gateway-guard rotate --all --config gateway-guard.yaml --dry-run
  gateway-guard rotate orders --config gateway-guard.yaml --force --revoke-old-key
`;

const options = {
  config: { type: "string", short: "c" },
  all: { type: "boolean", short: "a" },
  "dry-run": { type: "boolean" },
  force: { type: "boolean" },
  "revoke-old-key": { type: "boolean" },
  format: { type: "string", short: "f" },
  help: { type: "boolean", short: "h" },
} as const;

const succeeded: ReadonlySet<string> = new Set(["fresh", "planned", "rotated", "delivered"]);

/** A gateway whose run ended with an error before any outcome (lock held, permission, network, bad input). */
export interface RotationError {
  gateway: string;
  status: "failed";
  error: string;
  reason: string;
  /** The error's `.name`; `InputError` makes the command exit 2. */
  errorName: string;
}

/** Runs `rotate` with the real adapters. */
export function run(args: string[], io: CliIO): Promise<number> {
  return runWith(args, io, realAdapters(io.env));
}

/**
 * Runs `rotate` with the given adapters (tests pass ones that trust the local stand-ins).
 * @returns 0 when every gateway succeeded or was fresh, 1 when one failed, 2 for bad input (also
 *   when one gateway's run was rejected as bad input: the others still run and every outcome is printed)
 */
export async function runWith(args: string[], io: CliIO, connect: AdaptersFactory): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  let gateways: GatewayConfig[];
  let adapters: Awaited<ReturnType<AdaptersFactory>>;
  try {
    parsed = parse(args);
    if (parsed.help) {
      io.stdout.write(help);
      return 0;
    }
    const config = await loadCliConfig(parsed.config, io, "rotate");
    if (parsed.names.length === 0 && !parsed.all) {
      throw new InputError(
        `name the gateways to rotate, or pass --all; configured: ${config.gateways.map((g) => g.name).join(", ")}`,
      );
    }
    gateways = selectGateways(config, parsed.names);
    adapters = await connect(config);
  } catch (error) {
    return reportInputError(io, error);
  }

  const { rotateGateway } = await import("../../rotation/rotate.js");
  const json = parsed.format === "json";
  const results: Array<RotationOutcome | RotationError> = [];
  for (const gateway of gateways) {
    try {
      const outcome = await rotateGateway(
        gateway,
        { ...adapters.rotationDeps(gateway), log: cliLogger(io) },
        {
          dryRun: parsed.dryRun,
          force: parsed.force,
          ...(parsed.revokeOldKey ? { revokeOldKey: true } : {}),
          onPlan: (plan) => {
            if (!json) io.stdout.write(renderPlan(plan, parsed.dryRun));
          },
          onProgress: (progress) => io.stderr.write(`  ${progress.target}: ${progress.message}\n`),
        },
      );
      if (!json && !parsed.dryRun) io.stdout.write(renderOutcome(outcome));
      results.push(outcome);
    } catch (error) {
      const message = errorText(error);
      const errorName = error instanceof Error ? error.name : "Error";
      if (!json) io.stdout.write(`${gateway.name}: failed: ${message}\n\n`);
      results.push({ gateway: gateway.name, status: "failed", error: message, reason: message, errorName });
    }
  }
  if (json) io.stdout.write(`${JSON.stringify({ dryRun: parsed.dryRun, outcomes: results }, null, 2)}\n`);
  if (results.some((r) => "errorName" in r && r.errorName === "InputError")) return 2;
  return results.every((r) => succeeded.has(r.status)) ? 0 : 1;
}

function parse(args: string[]) {
  const { values, positionals } = parseCommandArgs("rotate", args, options);
  const format = parseFormat(values.format, ["table", "json"]);
  if (values.all && positionals.length > 0) {
    throw new InputError(
      `give either gateway names or --all, not both (got ${positionals.join(", ")} and --all)`,
    );
  }
  return {
    help: values.help === true,
    config: values.config,
    names: positionals,
    all: values.all === true,
    dryRun: values["dry-run"] === true,
    force: values.force === true,
    revokeOldKey: values["revoke-old-key"] === true,
    format,
  };
}

/** Logs the engine's warnings on stderr. */
function cliLogger(io: CliIO): RotationLogger {
  return {
    info() {},
    warn(event, fields) {
      io.stderr.write(`  warning: ${event} ${describeFields(fields)}\n`);
    },
    error() {},
  };
}

function describeFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

function renderPlan(plan: RotationPlan, dryRun: boolean): string {
  const action =
    plan.action === "none"
      ? "nothing to do"
      : plan.action === "deliver"
        ? "deliver Key Vault's current token to the deployments that lack it"
        : `mint a new token with the ${plan.nextKeyType} key, valid until ${plan.nextExpiresOn?.toISOString() ?? "?"}`;
  const rows = [
    ["DEPLOYMENT", "IN SYNC"],
    ...plan.deployments.map((d) => [d.target, d.inSync ? "yes" : "NO"]),
  ];
  return (
    `${plan.gateway}: ${dryRun ? "plan (dry run, nothing changed)" : "plan"}: ${plan.decision}: ${action}\n` +
    `  why: ${plan.reason}\n` +
    table(rows) +
    (dryRun ? "\n" : "")
  );
}

/** What a deployment outcome without a reason means. */
const detail: Partial<Record<RotationOutcome["deployments"][number]["status"], string>> = {
  rotated: "rolled out",
  delivered: "rolled out",
};

function renderOutcome(outcome: RotationOutcome): string {
  if (outcome.status === "fresh") return `${outcome.gateway}: fresh: nothing to do\n\n`;
  const key = outcome.keyType ? `${outcome.keyType} key` : "key unknown";
  const expiry = outcome.expiresOn ? `, expires ${outcome.expiresOn.toISOString()}` : "";
  const version = outcome.vaultVersion ? `, Key Vault version ${outcome.vaultVersion.slice(0, 8)}` : "";
  const revoked = outcome.revokedKeyType ? `, ${outcome.revokedKeyType} key regenerated` : "";
  const rows = [
    ["DEPLOYMENT", "OUTCOME", "DETAIL"],
    ...outcome.deployments.map((d) => [d.target, d.status, d.reason ?? detail[d.status] ?? ""]),
  ];
  return (
    `${outcome.gateway}: ${outcome.status}: ${outcome.reason}\n` +
    `  ${key}${expiry}${version}${revoked}\n` +
    table(rows) +
    "\n"
  );
}
