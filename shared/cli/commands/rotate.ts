/**
 * `gateway-guard rotate`: runs the rotation protocol for the named gateways (or `--all`), one after
 * the other: prints each plan, rollout progress on stderr, and the outcome. `--dry-run` prints only
 * the plans. Never prints a token.
 */
import type { GatewayConfig } from "../../config/types.js";
import { InputError } from "../../errors.js";
import type { RotationLogger, RotationOutcome, RotationPlan } from "../../rotation/types.js";
import { parseCommandArgs } from "../args.js";
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
  -c, --config FILE     Configuration (YAML or JSON); default GATEWAY_GUARD_CONFIG_FILE
  -a, --all             Every configured gateway
      --dry-run         Print the plan only; change nothing
      --force           Rotate even when the token is fresh
      --revoke-old-key  Regenerate the old key after success (overrides the configuration)
  -f, --format FORMAT   table | json (default: table)
  -h, --help            Show this help

Exit codes: 0 every gateway succeeded or was fresh, 1 one failed or was rolled back,
2 usage or input error (an invalid configuration lists every problem).

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

const formats = ["table", "json"] as const;
const succeeded: ReadonlySet<string> = new Set(["fresh", "planned", "rotated", "delivered"]);

/** A gateway whose run ended with an error before any outcome (lock held, permission, network). */
export interface RotationError {
  gateway: string;
  status: "failed";
  error: string;
  reason: string;
}

/** Runs `rotate` with the real adapters. */
export function run(args: string[], io: CliIO): Promise<number> {
  return runWith(args, io, realAdapters(io.env));
}

/**
 * Runs `rotate` with the given adapters (tests pass ones that trust the local stand-ins).
 * @returns 0 when every gateway succeeded or was fresh, 1 when one failed, 2 for bad input
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
    let planned: RotationPlan | undefined;
    const log = cliLogger(io, (plan) => {
      planned = plan;
      if (!json) io.stdout.write(renderPlan(plan, parsed.dryRun));
    });
    try {
      const outcome = await rotateGateway(
        gateway,
        { ...adapters.rotationDeps(gateway), log },
        {
          dryRun: parsed.dryRun,
          force: parsed.force,
          ...(parsed.revokeOldKey ? { revokeOldKey: true } : {}),
          onProgress: (progress) => io.stderr.write(`  ${progress.target}: ${progress.message}\n`),
        },
      );
      if (!json) {
        if (!planned) io.stdout.write(renderPlan(outcome.plan, parsed.dryRun));
        if (!parsed.dryRun) io.stdout.write(renderOutcome(outcome));
      }
      results.push(outcome);
    } catch (error) {
      if (error instanceof Error && error.name === "InputError") return reportInputError(io, error);
      const message =
        error instanceof Error
          ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}`
          : String(error);
      const failure: RotationError = {
        gateway: gateway.name,
        status: "failed",
        error: message,
        reason: message,
      };
      if (!json) io.stdout.write(`${gateway.name}: failed: ${message}\n\n`);
      results.push(failure);
    }
  }
  if (json) io.stdout.write(`${JSON.stringify({ dryRun: parsed.dryRun, outcomes: results }, null, 2)}\n`);
  return results.every((r) => succeeded.has(r.status)) ? 0 : 1;
}

function parse(args: string[]) {
  const { values, positionals } = parseCommandArgs("rotate", args, options);
  const format = values.format ?? "table";
  if (!(formats as readonly string[]).includes(format)) {
    throw new InputError(`unknown format "${format}"; expected one of ${formats.join(", ")}.`);
  }
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

/** Logs the engine's warnings on stderr and hands the plan over when it is made. */
function cliLogger(io: CliIO, onPlan: (plan: RotationPlan) => void): RotationLogger {
  return {
    info(event, fields) {
      if (event === "rotation.planned") onPlan(planFromFields(fields));
    },
    warn(event, fields) {
      io.stderr.write(`  warning: ${event} ${describeFields(fields)}\n`);
    },
    error() {},
  };
}

/** The `rotation.planned` event's fields back as a plan (dates are ISO strings there). */
function planFromFields(fields: Record<string, unknown>): RotationPlan {
  const date = (value: unknown) => (typeof value === "string" ? new Date(value) : undefined);
  return {
    gateway: String(fields.gateway),
    decision: fields.decision as RotationPlan["decision"],
    reason: String(fields.reason ?? ""),
    action: fields.action as RotationPlan["action"],
    currentKeyType: fields.keyType as RotationPlan["currentKeyType"],
    currentExpiresOn: date(fields.expiresOn),
    nextKeyType: fields.nextKeyType as RotationPlan["nextKeyType"],
    nextExpiresOn: date(fields.nextExpiresOn),
    deployments: Array.isArray(fields.deployments) ? (fields.deployments as RotationPlan["deployments"]) : [],
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

function renderOutcome(outcome: RotationOutcome): string {
  if (outcome.status === "fresh") return `${outcome.gateway}: fresh: nothing to do\n\n`;
  const key = outcome.keyType ? `${outcome.keyType} key` : "key unknown";
  const expiry = outcome.expiresOn ? `, expires ${outcome.expiresOn.toISOString()}` : "";
  const version = outcome.vaultVersion ? `, Key Vault version ${outcome.vaultVersion.slice(0, 8)}` : "";
  const revoked = outcome.revokedKeyType ? `, ${outcome.revokedKeyType} key regenerated` : "";
  const rows = [
    ["DEPLOYMENT", "OUTCOME", "DETAIL"],
    ...outcome.deployments.map((d) => [d.target, d.status, d.reason ?? ""]),
  ];
  return (
    `${outcome.gateway}: ${outcome.status}: ${outcome.reason}\n` +
    `  ${key}${expiry}${version}${revoked}\n` +
    table(rows) +
    "\n"
  );
}
