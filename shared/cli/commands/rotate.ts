/**
 * `gateway-guard rotate`: runs the rotation protocol for the named gateways (or `--all`), one after
 * the other: prints each plan, rollout progress on stderr, and the outcome. `--dry-run` prints only
 * the plans. Never prints a token.
 *
 * SIGINT and SIGTERM stop it cleanly: no new gateway or deployment is started, the step in flight
 * gets `graceInMs` to finish (a second signal cuts it short), then it is abandoned, the lock is
 * released and the command exits 130 (SIGINT) or 143 (SIGTERM). Key Vault keeps the token, so the
 * next run finishes the job.
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
      --revoke-old-key  Regenerate the old key after success (overrides the configuration);
                        refused when the tokens in use span both keys (the message says what to do)
      --allow-unknown-consumers
                        DANGEROUS: revoke even when pods outside the configured deployments read
                        the gateway's Secret; those pods are left on a dead token
  -f, --format FORMAT   table | json (default: table)
  -h, --help            Show this help

Exit codes: 0 every gateway succeeded or was fresh, 1 one failed, was rolled back or was left
unrevoked, 2 usage or input error (an invalid configuration lists every problem; a gateway rejected
as bad input is reported with the others, which still run), 130/143 stopped by SIGINT/SIGTERM
(the lock released; the next run finishes the job).

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
  "allow-unknown-consumers": { type: "boolean" },
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

/** Where SIGINT and SIGTERM come from: the process, or an emitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface RotateCommandOptions {
  /** Default `process`. */
  signals?: SignalSource;
  /** How long the step in flight may still take after the first signal. Default 10000. */
  graceInMs?: number;
}

const exitCodeOf: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Runs `rotate` with the real adapters. */
export function run(args: string[], io: CliIO): Promise<number> {
  return runWith(args, io, realAdapters(io.env));
}

/**
 * Runs `rotate` with the given adapters (tests pass ones that trust the local stand-ins).
 * @returns 0 when every gateway succeeded or was fresh, 1 when one failed, 2 for bad input (also
 *   when one gateway's run was rejected as bad input: the others still run and every outcome is printed)
 */
export async function runWith(
  args: string[],
  io: CliIO,
  connect: AdaptersFactory,
  options: RotateCommandOptions = {},
): Promise<number> {
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
  const stop = stopOnSignals(io, options);
  try {
    for (const gateway of gateways) {
      if (stop.signal.aborted) break;
      results.push(await rotateOne(gateway));
    }
  } finally {
    stop.dispose();
  }
  if (json) io.stdout.write(`${JSON.stringify({ dryRun: parsed.dryRun, outcomes: results }, null, 2)}\n`);
  if (stop.received) return exitCodeOf[stop.received] ?? 130;
  if (results.some((r) => "errorName" in r && r.errorName === "InputError")) return 2;
  return results.every((r) => succeeded.has(r.status)) ? 0 : 1;

  async function rotateOne(gateway: GatewayConfig): Promise<RotationOutcome | RotationError> {
    try {
      const outcome = await rotateGateway(
        gateway,
        { ...adapters.rotationDeps(gateway), log: cliLogger(io) },
        {
          dryRun: parsed.dryRun,
          force: parsed.force,
          abortSignal: stop.signal,
          interruptSignal: stop.interrupt,
          ...(parsed.revokeOldKey ? { revokeOldKey: true } : {}),
          ...(parsed.allowUnknownConsumers ? { allowUnknownConsumers: true } : {}),
          onPlan: (plan) => {
            if (!json) io.stdout.write(renderPlan(plan, parsed.dryRun));
          },
          onProgress: (progress) => io.stderr.write(`  ${progress.target}: ${progress.message}\n`),
        },
      );
      if (!json && !parsed.dryRun) io.stdout.write(renderOutcome(outcome));
      return outcome;
    } catch (error) {
      const message = errorText(error);
      const errorName = error instanceof Error ? error.name : "Error";
      if (!json) io.stdout.write(`${gateway.name}: failed: ${message}\n\n`);
      return { gateway: gateway.name, status: "failed", error: message, reason: message, errorName };
    }
  }
}

/**
 * On the first SIGINT/SIGTERM: `signal` fires (start nothing new) and, `graceInMs` later or at a
 * second signal, `interrupt` fires (abandon the step in flight).
 */
function stopOnSignals(io: CliIO, options: RotateCommandOptions) {
  const source = options.signals ?? process;
  const graceInMs = options.graceInMs ?? 10_000;
  const stop = new AbortController();
  const interrupt = new AbortController();
  let received: NodeJS.Signals | undefined;
  let timer: NodeJS.Timeout | undefined;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const handler = () => {
      if (received) return interrupt.abort(new Error(`interrupted by ${name}`));
      received = name;
      io.stderr.write(
        `gateway-guard: ${name}: stopping; the step in flight gets ${graceInMs / 1000}s, then the lock is released (again to stop at once)\n`,
      );
      stop.abort(new Error(`stopped by ${name}`));
      timer = setTimeout(() => interrupt.abort(new Error(`interrupted by ${name}`)), graceInMs);
    };
    source.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: stop.signal,
    interrupt: interrupt.signal,
    get received() {
      return received;
    },
    dispose() {
      clearTimeout(timer);
      for (const [name, handler] of handlers) source.off(name, handler);
    },
  };
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
    allowUnknownConsumers: values["allow-unknown-consumers"] === true,
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
