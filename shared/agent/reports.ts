/**
 * The central service's side of the report channel: drains a cluster's report queue and keeps the
 * newest trusted report per pulled deployment. A report is untrusted input (a compromised agent may
 * write anything to its own queue), so it counts only when
 * - it came from the queue of the cluster it names, and the configuration places that deployment of
 *   that gateway in that cluster (an agent cannot report for gateways or clusters it does not serve);
 * - it is newer than the newest report accepted for that deployment, and not dated in the future;
 * - the Key Vault version it names is the gateway's current or previous one.
 * Everything else is ignored, with a reason, and deleted from the queue (retrying cannot fix it).
 */
import { errorText } from "../errors.js";
import { decodeAgentReport, type AgentReport } from "./report.js";

/** A deployment that the configuration places in a cluster, delivered by that cluster's agent. */
export interface PulledDeployment {
  gateway: string;
  cluster: string;
  namespace: string;
  deployment: string;
}

/** Key Vault's two newest versions of a gateway's secret. */
export interface VaultVersions {
  current?: string;
  previous?: string;
}

/** How far in the future a report's time may be (clock skew between the cluster and the service). */
export const maxClockSkewInMs = 300_000;

/** The newest accepted report per pulled deployment. */
export class ReportBook {
  readonly #latest = new Map<string, AgentReport>();

  /** The newest accepted report for a deployment, if any. */
  latest(deployment: PulledDeployment): AgentReport | undefined {
    return this.#latest.get(deploymentKey(deployment));
  }

  /** Every deployment's newest accepted report. */
  all(): AgentReport[] {
    return [...this.#latest.values()];
  }

  /** Records a report that {@link judgeReport} accepted. */
  record(report: AgentReport): void {
    this.#latest.set(deploymentKey(report), report);
  }
}

/** What the judgement of one report needs. */
export interface JudgeReportContext {
  /** The cluster whose queue the report came from. */
  fromCluster: string;
  placements: readonly PulledDeployment[];
  /** Key Vault's versions of the report's gateway. */
  versions: VaultVersions;
  /** The newest report accepted for the same deployment, if any. */
  latest?: AgentReport;
  now: Date;
}

/**
 * Decides whether a (decoded) report can be trusted.
 * @returns undefined when it can, else why it is ignored
 */
export function judgeReport(report: AgentReport, context: JudgeReportContext): string | undefined {
  const { fromCluster } = context;
  const what = `report for ${report.gateway} ${report.namespace}/${report.deployment}`;
  if (report.cluster !== fromCluster) {
    return `${what} names cluster ${report.cluster} but came from the queue of cluster ${fromCluster}`;
  }
  if (!context.placements.some((p) => deploymentKey(p) === deploymentKey(report))) {
    return `${what}: the configuration does not place that deployment of that gateway in cluster ${fromCluster}`;
  }
  const at = Date.parse(report.at);
  if (at > context.now.getTime() + maxClockSkewInMs) return `${what} is dated in the future (${report.at})`;
  if (context.latest && at <= Date.parse(context.latest.at)) {
    return `${what} is stale: not newer than the report accepted at ${context.latest.at}`;
  }
  const { current, previous } = context.versions;
  if (report.vaultVersion === undefined) {
    return report.outcome === "failed" ? undefined : `${what} (${report.outcome}) names no Key Vault version`;
  }
  if (report.vaultVersion !== current && report.vaultVersion !== previous) {
    return `${what} names Key Vault version ${report.vaultVersion}, neither the current nor the previous one`;
  }
  return undefined;
}

/** The part of the Storage SDK's `QueueClient` the reader uses. */
export interface ReportQueueReceiver {
  readonly name: string;
  receiveMessages(options: { numberOfMessages: number; visibilityTimeout?: number }): Promise<{
    receivedMessageItems: Array<{ messageId: string; popReceipt: string; messageText: string }>;
  }>;
  deleteMessage(messageId: string, popReceipt: string): Promise<unknown>;
}

export interface ReadReportsOptions {
  placements: readonly PulledDeployment[];
  /** Key Vault's versions of a gateway's secret (read once per gateway per call). */
  versionsOf(gateway: string): Promise<VaultVersions>;
  book: ReportBook;
  now?: () => Date;
  /** The most messages read in one call, so that a flooding agent cannot hold the service. Default 256. */
  maxMessages?: number;
}

/** A message that was not trusted, and why. */
export interface IgnoredReport {
  messageId: string;
  reason: string;
}

export interface ReadReportsResult {
  accepted: AgentReport[];
  ignored: IgnoredReport[];
}

/**
 * Drains a cluster's report queue (up to `maxMessages`): judges each report, records the accepted
 * ones in the book and deletes every message read.
 * @param cluster - the cluster the queue belongs to (the service names the queue, not the report)
 * @param queue - that cluster's queue
 * @param options - placements, Key Vault versions, the book
 * @throws the error of reading Key Vault or the queue; the messages not yet judged stay on the queue
 */
export async function readReports(
  cluster: string,
  queue: ReportQueueReceiver,
  options: ReadReportsOptions,
): Promise<ReadReportsResult> {
  const max = options.maxMessages ?? 256;
  const versions = new Map<string, Promise<VaultVersions>>();
  const result: ReadReportsResult = { accepted: [], ignored: [] };
  let read = 0;
  while (read < max) {
    const { receivedMessageItems: items } = await queue.receiveMessages({
      numberOfMessages: Math.min(32, max - read),
      visibilityTimeout: 60,
    });
    if (items.length === 0) break;
    read += items.length;
    const decoded = items.map((item) => {
      try {
        return { item, report: decodeAgentReport(item.messageText) };
      } catch (error) {
        return { item, reason: errorText(error).replace(/^InputError: /, "") };
      }
    });
    decoded.sort((a, b) => (a.report?.at ?? "").localeCompare(b.report?.at ?? ""));
    for (const { item, report, reason } of decoded) {
      let why = reason;
      if (report) {
        if (!versions.has(report.gateway)) versions.set(report.gateway, options.versionsOf(report.gateway));
        why = judgeReport(report, {
          fromCluster: cluster,
          placements: options.placements,
          versions: await (versions.get(report.gateway) ?? Promise.resolve({})),
          latest: options.book.latest(report),
          now: options.now?.() ?? new Date(),
        });
        if (!why) {
          options.book.record(report);
          result.accepted.push(report);
        }
      }
      if (why) result.ignored.push({ messageId: item.messageId, reason: why });
      await queue.deleteMessage(item.messageId, item.popReceipt);
    }
  }
  return result;
}

/** The part of the Key Vault SDK's `SecretClient` {@link vaultVersions} uses. */
export interface SecretVersionLister {
  listPropertiesOfSecretVersions(name: string): AsyncIterable<{ version?: string; createdOn?: Date }>;
}

/**
 * Key Vault's current (newest) and previous versions of a secret; metadata only, no value.
 * @param client - the vault's `SecretClient` (needs "secrets list", role Key Vault Reader or Secrets User)
 * @param secretName - the gateway's secret
 */
export async function vaultVersions(client: SecretVersionLister, secretName: string): Promise<VaultVersions> {
  const all: Array<{ version: string; createdOn: number; listed: number }> = [];
  for await (const properties of client.listPropertiesOfSecretVersions(secretName)) {
    if (properties.version) {
      const createdOn = properties.createdOn?.getTime() ?? 0;
      all.push({ version: properties.version, createdOn, listed: all.length });
    }
  }
  all.sort((a, b) => b.createdOn - a.createdOn || b.listed - a.listed);
  return { current: all[0]?.version, previous: all[1]?.version };
}

function deploymentKey(d: PulledDeployment): string {
  return `${d.gateway}/${d.cluster}/${d.namespace}/${d.deployment}`;
}
