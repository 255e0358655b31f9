/**
 * The central service's use of the agents' reports (pull mode, docs/pull-mode.md). The timer drains
 * every pulled cluster's report queue into the book ({@link drainAgentReports}) before it fans out,
 * and raises `agent.silent` for an agent that stopped reporting while a newer version waits; the
 * worker gives the book to the engine, whose revocation waits for the reports.
 */
import {
  readReports,
  ReportBook,
  type PulledDeployment,
  type ReportQueueReceiver,
  type VaultVersions,
} from "../agent/reports.js";
import type { AgentReport } from "../agent/report.js";
import type { GatewayConfig, GuardConfig } from "../config/types.js";
import { errorText } from "../errors.js";
import type { LoadedReportBook, ReportBookStore } from "../queue/reportBook.js";
import { reportsVersion } from "../rotation/plan.js";
import { isPulled } from "../rotation/target.js";
import type { RotationLogger, StoredToken, TokenVault } from "../rotation/types.js";
import { logEvent } from "./events.js";
import type { AppServices } from "./services.js";

/** Key Vault's two newest versions of a gateway's token. Holds tokens: never log it. */
interface VaultPair {
  current?: StoredToken;
  previous?: StoredToken;
}

/** What draining needs. */
export interface DrainReportsDeps {
  store: ReportBookStore;
  /** A pulled cluster's report queue. */
  queueFor(cluster: string): Promise<ReportQueueReceiver>;
  /** The gateway's Key Vault. */
  vaultFor(gateway: GatewayConfig): TokenVault;
  log: RotationLogger;
  now?: () => Date;
}

/** Every deployment the configuration marks `delivery: pull`. */
export function pulledDeployments(
  config: GuardConfig,
): Array<PulledDeployment & { intervalInMinutes: number }> {
  return config.gateways.flatMap((gateway) =>
    gateway.deployments.filter(isPulled).map((d) => ({
      gateway: gateway.name,
      cluster: d.cluster.name,
      namespace: d.namespace,
      deployment: d.deployment,
      intervalInMinutes: d.cluster.agentIntervalInMinutes,
    })),
  );
}

/**
 * Reads every pulled cluster's queue into the book and saves it; logs each ignored report as
 * `agent.report-ignored` (its reason, never its content) and each silent agent as `agent.silent`.
 * A queue that cannot be read is logged (`agent.reports-unread`) and left for the next run.
 * @returns the book, with every report accepted so far
 */
export async function drainAgentReports(config: GuardConfig, deps: DrainReportsDeps): Promise<ReportBook> {
  const placements = pulledDeployments(config);
  if (placements.length === 0) return new ReportBook();
  const now = deps.now ?? (() => new Date());
  const vaults = new Map<string, Promise<VaultPair>>();
  const vaultOf = (name: string) => {
    const gateway = config.gateways.find((g) => g.name === name);
    if (!gateway) return Promise.resolve<VaultPair>({});
    let read = vaults.get(name);
    if (!read) {
      const vault = deps.vaultFor(gateway);
      const secret = gateway.keyVault.secretName;
      read = Promise.all([vault.current(secret), vault.previous?.(secret)]).then(([current, previous]) => ({
        current,
        previous,
      }));
      vaults.set(name, read);
    }
    return read;
  };
  const versionsOf = async (name: string): Promise<VaultVersions> => {
    const { current, previous } = await vaultOf(name);
    return { current: current?.version, previous: previous?.version };
  };

  const loaded = await deps.store.load();
  const accepted: AgentReport[] = [];
  for (const cluster of new Set(placements.map((p) => p.cluster))) {
    try {
      const queue = await deps.queueFor(cluster);
      const result = await readReports(cluster, queue, { placements, versionsOf, book: loaded.book, now });
      accepted.push(...result.accepted);
      for (const { reason } of result.ignored)
        logEvent(deps.log, "agent.report-ignored", { cluster, reason });
    } catch (error) {
      logEvent(deps.log, "agent.reports-unread", { cluster, error: errorText(error) });
    }
  }
  const book = accepted.length > 0 ? await saveMerged(deps.store, loaded, accepted) : loaded.book;

  for (const p of placements) {
    const { current } = await vaultOf(p.gateway).catch((): VaultPair => ({}));
    const latest = book.latest(p);
    if (!current || reportsVersion(latest, current.version)) continue;
    const quietInMs = 2 * p.intervalInMinutes * 60_000;
    const since = Math.max(Date.parse(latest?.at ?? "") || 0, current.createdOn?.getTime() ?? 0);
    if (now().getTime() - since > quietInMs) {
      logEvent(deps.log, "agent.silent", {
        gateway: p.gateway,
        cluster: p.cluster,
        deployment: `${p.namespace}/${p.deployment}`,
        lastReportAt: latest?.at ?? null,
      });
    }
  }
  return book;
}

/** Saves the book; when another instance wrote it meanwhile, reads theirs, adds ours, and tries again. */
async function saveMerged(
  store: ReportBookStore,
  loaded: LoadedReportBook,
  accepted: AgentReport[],
): Promise<ReportBook> {
  let current = loaded;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await store.save(current)) return current.book;
    current = await store.load();
    for (const report of accepted) {
      const latest = current.book.latest(report);
      if (!latest || Date.parse(report.at) > Date.parse(latest.at)) current.book.record(report);
    }
  }
  throw new Error("the book of agent reports kept changing under 5 writes in a row; the next run saves it");
}

/**
 * The timer's step before it fans out: drains the reports with the app's services. Never throws: a
 * failure is logged (`agent.reports-unread`) and the rotations are enqueued all the same.
 */
export async function drainReportsBeforeFanOut(
  services: AppServices,
  config: GuardConfig,
  log: RotationLogger,
): Promise<void> {
  if (pulledDeployments(config).length === 0) return;
  try {
    const adapters = await services.adapters();
    await drainAgentReports(config, {
      store: await services.reportBookStore(),
      queueFor: (cluster) => services.reportQueue(cluster),
      vaultFor: (gateway) => adapters.rotationDeps(gateway).vault,
      log,
    });
  } catch (error) {
    logEvent(log, "agent.reports-unread", { error: errorText(error) });
  }
}
