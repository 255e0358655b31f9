/**
 * The agent's configuration: the gateways whose deployments run in ITS cluster, the name that
 * cluster reports as, the report queue and the interval. Validated once at the edge. The gateway
 * fields share the service's validation (shared/config/schema.ts), so a gateway is described the
 * same way in both files; the agent only leaves out what it never uses (APIM, connections).
 */
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { lineOf } from "../config/load.js";
import { z } from "zod";
import { parseConfig, formatPath, pulledClusterName, type ConfigProblem } from "../config/schema.js";
import type { ClusterConnection, GatewayConfig } from "../config/types.js";
import { InputError } from "../errors.js";
import { dayInMs } from "../token/days.js";
import { reportQueueName } from "./report.js";

/** The validated agent configuration. */
export interface AgentConfig {
  /** The name this cluster reports as (a DNS label); its queue is `gateway-guard-reports-<cluster>`. */
  cluster: string;
  /** The cluster's report queue: `https://<account>.queue.core.windows.net/gateway-guard-reports-<cluster>`. */
  reportQueueUrl: string;
  /** Time between two passes when not run with `--once`. Default 5 minutes. */
  intervalInMs: number;
  /** Ready for the rotation engine: each deployment reached through the agent's connection. */
  gateways: GatewayConfig[];
}

export interface ParseAgentConfigOptions {
  /** How the agent reaches its cluster. Default the pod's service account (`inCluster`). */
  connection?: ClusterConnection;
  /** 1-based line of a path in the source file, when known (for messages). */
  lineOf?: (path: ReadonlyArray<string | number>) => number | undefined;
}

/** The shortest interval accepted: a pass reads Key Vault once per gateway. */
export const minimumIntervalInMs = 10_000;

/**
 * The agent delivers Key Vault's token while it has more than this left. Below it, the central
 * service must mint first (the agent never mints), so the agent's plan is `mint` and the run fails
 * with a message saying so.
 */
export const deliverMarginInMs = 3_600_000;

/** APIM is never called by the agent; the engine's configuration type needs a value. */
const noApim = { subscriptionId: "00000000-0000-0000-0000-000000000000", resourceGroup: "-", service: "-" };

const durationPattern = /^(\d+)(ms|s|m|h)$/;
const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Reads a duration such as `90s`, `5m` or `1h`.
 * @param text - the duration
 * @param what - what it is, for the message (e.g. `--interval`)
 * @throws InputError when it is not a whole number with a unit, or shorter than 10 seconds
 */
export function parseDuration(text: string, what: string): number {
  const match = durationPattern.exec(text.trim());
  const ms = match ? Number(match[1]) * durationUnits[match[2]] : NaN;
  if (!Number.isSafeInteger(ms) || ms < minimumIntervalInMs) {
    throw new InputError(
      `${what} must be a duration of at least 10s such as 90s, 5m or 1h, not ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

const deploymentShape = z.strictObject({
  namespace: z.unknown(),
  deployment: z.unknown(),
  secretName: z.unknown().optional(),
  secretKey: z.unknown().optional(),
});

const gatewayShape = z.strictObject({
  name: z.unknown(),
  keyVault: z.unknown(),
  deployments: z.array(deploymentShape, { error: "must be a list of deployments" }),
  rolloutTimeoutInMs: z.unknown().optional(),
});

const agentSchema = z.strictObject({
  cluster: pulledClusterName,
  reportQueueUrl: z.string({
    error: (i) => (i.input === undefined ? "required" : "must be the report queue's URL"),
  }),
  interval: z.string({ error: "must be a duration such as 5m" }).optional(),
  gateways: z
    .array(gatewayShape, { error: "must be a list of gateways" })
    .min(1, "must list at least one gateway"),
});

/**
 * Validates an agent configuration document (parsed YAML or JSON).
 * @param raw - the document
 * @param source - where it came from, for messages
 * @param options - the connection to the cluster, line numbers
 * @throws InputError listing every problem, one per line, with its path
 */
export function parseAgentConfig(
  raw: unknown,
  source: string,
  options: ParseAgentConfigOptions = {},
): AgentConfig {
  const parsed = agentSchema.safeParse(raw, { reportInput: true });
  const problems = parsed.success ? [] : parsed.error.issues.map(toProblem);
  const fields = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  let intervalInMs = 300_000;
  if (typeof fields.interval === "string") {
    try {
      intervalInMs = parseDuration(fields.interval, "interval");
    } catch (error) {
      problems.push({ path: ["interval"], message: (error as Error).message.replace(/^interval /, "") });
    }
  }
  const clusterValid = !problems.some((p) => p.path[0] === "cluster");
  if (typeof fields.reportQueueUrl === "string" && typeof fields.cluster === "string" && clusterValid) {
    const queueProblem = checkReportQueueUrl(fields.reportQueueUrl, fields.cluster);
    if (queueProblem) problems.push({ path: ["reportQueueUrl"], message: queueProblem });
  }
  if (problems.length > 0 || !parsed.success) throw problemsError(source, problems, options);
  const { cluster, reportQueueUrl, gateways } = parsed.data;

  const connection = options.connection ?? { type: "inCluster" };
  const asService = gateways.map((g) => ({
    ...g,
    apim: { ...noApim, gatewayId: typeof g.name === "string" ? g.name : "-" },
    deployments: g.deployments.map((d) => ({ ...d, cluster: connection })),
  }));
  const service = parseConfig({ gateways: asService }, source, { lineOf: options.lineOf });
  return {
    cluster,
    reportQueueUrl,
    intervalInMs,
    gateways: service.gateways.map((g) => ({ ...g, renewBeforeInDays: deliverMarginInMs / dayInMs })),
  };
}

/**
 * Reads and validates an agent configuration file (YAML or JSON).
 * @param path - the file
 * @param options - the connection to the cluster
 * @throws InputError when the file cannot be read or is not a valid agent configuration
 */
export async function loadAgentConfigFile(
  path: string,
  options: Omit<ParseAgentConfigOptions, "lineOf"> = {},
): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read agent configuration file ${path}: ${code ?? "unreadable"}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const [first] = doc.errors;
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    throw new InputError(`${path} is not valid YAML or JSON: line ${line}, column ${col}: ${first.message}`);
  }
  return parseAgentConfig(doc.toJS({ maxAliasCount: 100 }), path, {
    ...options,
    lineOf: lineOf(doc, lineCounter),
  });
}

/**
 * What is wrong with a report queue URL, if anything: it must be https (http only on loopback, for
 * Azurite) and name the cluster's own queue.
 */
export function checkReportQueueUrl(url: string, cluster: string): string | undefined {
  if (!URL.canParse(url)) return "must be a URL such as https://<account>.queue.core.windows.net/<queue>";
  const parsed = new URL(url);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && loopback)) {
    return "must be an https:// URL";
  }
  const queue = parsed.pathname.split("/").filter(Boolean).at(-1);
  const expected = reportQueueName(cluster);
  if (queue !== expected) {
    return `must name this cluster's queue ${expected}, not ${queue ?? "none"} (the service trusts a report only from the queue of the cluster it names)`;
  }
  return undefined;
}

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  if (issue.code === "unrecognized_keys") {
    return { path: [...path, issue.keys.join(", ")], message: "unknown field" };
  }
  if (issue.code === "invalid_type" && (!("input" in issue) || issue.input === undefined)) {
    return { path, message: "required" };
  }
  return { path, message: issue.message };
}

function problemsError(
  source: string,
  problems: ConfigProblem[],
  options: ParseAgentConfigOptions,
): InputError {
  const lines = problems.map((p) => {
    const line = options.lineOf?.(p.path);
    return `  ${formatPath(p.path) || "(top level)"}: ${p.message}${line === undefined ? "" : ` (line ${line})`}`;
  });
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return new InputError(`invalid configuration in ${source} (${count}):\n${lines.join("\n")}`);
}
