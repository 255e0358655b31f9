/**
 * `gateway-guard agent`: pull mode, run inside a cluster that Azure cannot reach. Each pass reads
 * Key Vault (read-only) for the configured gateways and delivers its token where a Secret differs,
 * through the rotation engine; then reports per deployment on the cluster's Storage queue. One pass
 * with `--once` (a CronJob), else a pass every interval until SIGINT or SIGTERM. Never prints a token.
 */
import { resolve } from "node:path";
import type { AgentConfig } from "../../agent/config.js";
import type { AgentDeps, AgentPassResult, GatewayPassResult } from "../../agent/pass.js";
import type { ClusterConnection } from "../../config/types.js";
import { InputError } from "../../errors.js";
import { parseCommandArgs } from "../args.js";
import { reportInputError } from "../connect.js";
import type { CliIO } from "../io.js";

export const help = `Usage: gateway-guard agent --config FILE [--once | --interval DURATION] [options]

Pull mode, for a cluster that Azure cannot reach: runs in that cluster and, for each gateway in
the agent configuration, reads Key Vault's current token (read-only). Where a deployment's Secret
differs and the token is valid, it delivers it as \`rotate\` does: pre-flight, the Lease lock, the
patch with a precondition, the restart, the wait, a rollback when the rollout fails. It never
mints, never revokes and never writes to Key Vault: the central service does. After each pass it
reports per deployment (gateway, cluster, deployment, Key Vault version, outcome, time; never a
token) on the cluster's own Storage queue.

Options:
  -c, --config FILE          Agent configuration (YAML or JSON): cluster, reportQueueUrl, gateways
      --once                 One pass, then exit (a CronJob)
      --interval DURATION    Time between passes (90s, 5m, 1h); default the configuration's interval, else 5m
      --kubeconfig FILE      Reach the cluster through a kubeconfig instead of the pod's service account
      --context NAME         The context in --kubeconfig
  -h, --help                 Show this help

Azure sign-in: DefaultAzureCredential (workload identity, a client certificate, Azure Arc's
managed identity); AZURE_CLIENT_ID picks the identity.

Exit codes: 0 every deployment has Key Vault's token and every report was sent (with an interval:
stopped by SIGINT or SIGTERM), 1 a delivery failed, was rolled back or was locked, or a report
could not be sent, 2 usage or input error.

Examples:
  gateway-guard agent --config /etc/gateway-guard/agent.yaml --once
  gateway-guard agent --config agent.yaml --interval 5m
`;

const options = {
  config: { type: "string", short: "c" },
  once: { type: "boolean" },
  interval: { type: "string" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Builds the agent's dependencies for a configuration (the real ones, or ones trusting local stand-ins in tests). */
export type AgentFactory = (config: AgentConfig) => Promise<AgentDeps>;

export interface RunAgentOptions {
  /** Stops the agent (the CLI wires SIGINT and SIGTERM to it). */
  abortSignal?: AbortSignal;
}

/** Runs `agent` with the real adapters; SIGINT and SIGTERM stop it cleanly. */
export async function run(args: string[], io: CliIO): Promise<number> {
  const controller = new AbortController();
  const stop = (signal: string) => {
    io.stderr.write(`agent: ${signal}: stopping after the step under way\n`);
    controller.abort(new Error(`stopped by ${signal}`));
  };
  process.once("SIGINT", stop).once("SIGTERM", stop);
  try {
    return await runWith(args, io, realAgent(io.env), { abortSignal: controller.signal });
  } finally {
    process.off("SIGINT", stop).off("SIGTERM", stop);
  }
}

/**
 * Runs `agent` with the given factory.
 * @returns 0 when every deployment has Key Vault's token and every report was sent (or the loop
 *   was stopped), 1 when a delivery failed, was rolled back or locked or a report was not sent, 2 for bad input
 */
export async function runWith(
  args: string[],
  io: CliIO,
  connect: AgentFactory,
  runOptions: RunAgentOptions = {},
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  let config: AgentConfig;
  let deps: AgentDeps;
  try {
    parsed = parse(args);
    if (parsed.help) {
      io.stdout.write(help);
      return 0;
    }
    const { loadAgentConfigFile, parseDuration } = await import("../../agent/config.js");
    const intervalInMs =
      parsed.interval === undefined ? undefined : parseDuration(parsed.interval, "--interval");
    const connection: ClusterConnection | undefined = parsed.kubeconfig
      ? {
          type: "kubeconfig",
          path: resolve(io.cwd ?? process.cwd(), parsed.kubeconfig),
          context: parsed.context,
        }
      : undefined;
    config = await loadAgentConfigFile(resolve(io.cwd ?? process.cwd(), parsed.config), { connection });
    if (intervalInMs !== undefined) config = { ...config, intervalInMs };
    deps = await connect(config);
  } catch (error) {
    return reportInputError(io, error);
  }

  const { runAgentLoop, runAgentPass } = await import("../../agent/pass.js");
  const passOptions = {
    abortSignal: runOptions.abortSignal,
    onProgress: (p: { target: string; message: string }) => io.stderr.write(`  ${p.target}: ${p.message}\n`),
    onGateway: (result: GatewayPassResult) => io.stdout.write(renderGateway(result)),
  };
  const gateways = config.gateways.length === 1 ? "1 gateway" : `${config.gateways.length} gateways`;
  io.stderr.write(`agent: cluster ${config.cluster}, ${gateways}, reports to ${queueName(config)}\n`);
  if (parsed.once) {
    const result = await runAgentPass(config, deps, passOptions);
    io.stderr.write(renderPassEnd(result));
    return result.ok ? 0 : 1;
  }
  const abortSignal = runOptions.abortSignal ?? new AbortController().signal;
  const interval = formatInterval(config.intervalInMs);
  await runAgentLoop(config, deps, {
    ...passOptions,
    abortSignal,
    intervalInMs: config.intervalInMs,
    onPass: (result) => {
      io.stderr.write(renderPassEnd(result));
      if (!abortSignal.aborted) io.stderr.write(`agent: next pass in ${interval}\n`);
    },
  });
  io.stderr.write("agent: stopped\n");
  return 0;
}

function parse(args: string[]) {
  const { values, positionals } = parseCommandArgs("agent", args, options);
  if (positionals.length > 0) {
    throw new InputError(`unexpected argument ${positionals[0]}; the gateways are listed in --config FILE`);
  }
  if (values.help) return { help: true as const, config: "", once: false };
  if (!values.config) {
    throw new InputError(
      "agent needs --config FILE (the agent configuration). Run `gateway-guard agent --help`.",
    );
  }
  if (values.once && values.interval !== undefined) {
    throw new InputError("give either --once or --interval, not both");
  }
  if (values.context !== undefined && values.kubeconfig === undefined) {
    throw new InputError("--context needs --kubeconfig FILE (in a pod the agent uses its service account)");
  }
  return {
    help: false as const,
    config: values.config,
    once: values.once === true,
    interval: values.interval,
    kubeconfig: values.kubeconfig,
    context: values.context,
  };
}

/** The real dependencies: DefaultAzureCredential (AZURE_CLIENT_ID), the pod's service account or a kubeconfig. */
function realAgent(env: CliIO["env"]): AgentFactory {
  return async (config) => {
    const [{ composeAgent }, { createCredential }, { pickKubeEnvironment }] = await Promise.all([
      import("../../agent/compose.js"),
      import("../../azure/credential.js"),
      import("../../config/kubeEnvironment.js"),
    ]);
    const azureClientId = env.AZURE_CLIENT_ID?.trim() || undefined;
    return composeAgent(config, {
      credential: createCredential(azureClientId ? { managedIdentityClientId: azureClientId } : {}),
      kubeEnvironment: pickKubeEnvironment(env),
      ...(azureClientId ? { azureClientId } : {}),
    });
  };
}

function renderGateway(result: GatewayPassResult): string {
  const lines = [`${result.gateway}: ${result.status}: ${result.reason}`];
  for (const r of result.reports) {
    const version = r.vaultVersion ? ` (Key Vault version ${r.vaultVersion.slice(0, 8)})` : "";
    lines.push(`  ${r.namespace}/${r.deployment}: ${r.outcome}${version}${r.reason ? `: ${r.reason}` : ""}`);
  }
  if (result.reportError) lines.push(`  reports NOT sent: ${result.reportError}`);
  else if (result.reports.length > 0) lines.push(`  reported`);
  return `${lines.join("\n")}\n`;
}

function renderPassEnd(result: AgentPassResult): string {
  const failed = result.gateways.filter(
    (g) => (g.status !== "in-sync" && g.status !== "delivered") || g.reportError,
  );
  return result.ok
    ? "agent: pass done: every deployment has Key Vault's token\n"
    : `agent: pass done: ${failed.map((g) => `${g.gateway} ${g.reportError ? "not reported" : g.status}`).join(", ") || "stopped early"}\n`;
}

function queueName(config: AgentConfig): string {
  return new URL(config.reportQueueUrl).pathname.split("/").filter(Boolean).at(-1) ?? "";
}

function formatInterval(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}
