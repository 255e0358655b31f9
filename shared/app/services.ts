/**
 * The Functions app's composition root: what the handlers need, built lazily from the app settings.
 * Nothing heavy is imported at the top: the configuration, the queue client, the Azure and
 * Kubernetes adapters and the drift rules load on first use, so that registering the app stays cheap.
 * Tests replace the services with {@link useAppServices}.
 */
import type { AppSettings } from "../config/appSettings.js";
import type { GatewayConfig, GuardConfig } from "../config/types.js";
import type { CheckResult } from "../drift/types.js";
import type { QueueClientLike, RotationQueue } from "../queue/enqueue.js";
import type { RecentKeys } from "../queue/dedupe.js";
import type { Adapters } from "../compose/adapters.js";
import type { LiveCheckDeps } from "../live/read.js";
import type { RotateOptions, RotationDeps, RotationOutcome } from "../rotation/types.js";
import type { ReportQueueReceiver } from "../agent/reports.js";
import type { ReportBookStore, ServiceContainer } from "../queue/reportBook.js";

/** Builds the real adapters (ARM, Key Vault, clusters, lock) for a configuration. */
export type AppAdaptersFactory = (config: GuardConfig, settings: AppSettings) => Promise<Adapters>;

/** What the handlers use. */
export interface AppServices {
  readonly settings: AppSettings;
  /** The validated configuration, loaded once per instance (a failed load is retried next time). */
  config(): Promise<GuardConfig>;
  /** The rotation queue (created if missing on first use). */
  queue(): Promise<RotationQueue>;
  /** Runs the rotation protocol for one gateway. */
  rotate(
    gateway: GatewayConfig,
    options: RotateOptions & Pick<RotationDeps, "log">,
  ): Promise<RotationOutcome>;
  /** Checks a manifest (YAML or JSON text) against the baseline. */
  checkManifest(text: string, file: string): Promise<CheckResult>;
  /** Runs the live drift check of the given gateways. */
  checkLive(gateways: GatewayConfig[]): Promise<CheckResult>;
  /** The adapters (Key Vault, clusters) for the configuration, built on first use. */
  adapters(): Promise<Adapters>;
  /** What the fleet page reads through: the adapters' live readers and the book of agent reports. */
  live(): Promise<LiveCheckDeps>;
  /** Where the book of agent reports is kept (pull mode), built on first use. */
  reportBookStore(): Promise<ReportBookStore>;
  /** A pulled cluster's report queue, `gateway-guard-reports-<cluster>`. */
  reportQueue(cluster: string): Promise<ReportQueueReceiver>;
  /** Request ids this instance finished, so a duplicate message is skipped cheaply. */
  readonly finishedRequests: RecentKeys;
  /** The last error per request id, for the poison event. */
  readonly lastErrors: RecentErrors;
}

/** Last error messages by request id (bounded). */
export class RecentErrors {
  readonly #errors = new Map<string, string>();
  constructor(private readonly maxEntries = 1000) {}
  set(requestId: string, message: string): void {
    this.#errors.delete(requestId);
    this.#errors.set(requestId, message);
    while (this.#errors.size > this.maxEntries) {
      const oldest = this.#errors.keys().next().value;
      if (oldest === undefined) break;
      this.#errors.delete(oldest);
    }
  }
  get(requestId: string): string | undefined {
    return this.#errors.get(requestId);
  }
}

export interface AppServicesOptions {
  settings: AppSettings;
  /** Replaces the configuration loading (tests). */
  config?: () => Promise<GuardConfig>;
  /** Replaces the storage queue client (tests). */
  queueClient?: QueueClientLike;
  /** Replaces the real adapters (tests against the stand-ins). */
  adapters?: AppAdaptersFactory;
  /** Replaces the rotation as a whole (worker tests). */
  rotate?: AppServices["rotate"];
  /** Replaces the live drift check (tests). */
  checkLive?: (gateways: GatewayConfig[]) => Promise<CheckResult>;
  /** Replaces the blob that holds the book of agent reports (tests). */
  reportBookStore?: ReportBookStore;
}

/**
 * Builds the services from settings; everything is created on first use.
 * @param options - the settings and any replacements.
 * @returns the services.
 */
export async function createAppServices(options: AppServicesOptions): Promise<AppServices> {
  const { RecentKeys } = await import("../queue/dedupe.js");
  const { settings } = options;
  let configPromise: Promise<GuardConfig> | undefined;
  let queuePromise: Promise<RotationQueue> | undefined;
  let adaptersPromise: Promise<Adapters> | undefined;
  let reportBookPromise: Promise<ReportBookStore> | undefined;
  let containerPromise: Promise<ServiceContainer> | undefined;

  const storage = async () => {
    if (settings.storage) return settings.storage;
    const { InputError } = await import("../errors.js");
    throw new InputError(
      "no storage for the queues: set AzureWebJobsStorage__accountName (or __queueServiceUri), " +
        "or AzureWebJobsStorage for Azurite",
    );
  };

  /** The service's own blob container: the book of agent reports, the locks of all-pulled gateways. */
  const container = () => {
    containerPromise ??= (async () => {
      const { createReportBookContainer } = await import("../queue/reportBook.js");
      return createReportBookContainer(await storage());
    })();
    containerPromise.catch(() => {
      containerPromise = undefined;
    });
    return containerPromise;
  };

  const reportBookStore = (): Promise<ReportBookStore> => {
    reportBookPromise ??= (async () => {
      if (options.reportBookStore) return options.reportBookStore;
      const { BlobReportBookStore } = await import("../queue/reportBook.js");
      return new BlobReportBookStore(container);
    })();
    return reportBookPromise;
  };

  /** A gateway whose deployments are all pulled has no cluster to hold its Lease: its lock is a blob lease. */
  const lockFor = async (gateway: GatewayConfig, deps: RotationDeps): Promise<RotationDeps["lock"]> => {
    if (gateway.deployments.some((d) => d.cluster.type !== "pulled")) return deps.lock;
    const { BlobRotationLock } = await import("../queue/blobLock.js");
    return new BlobRotationLock({ container });
  };

  const config = (): Promise<GuardConfig> => {
    configPromise ??= (options.config ?? (() => loadConfig(settings)))();
    configPromise.catch(() => {
      configPromise = undefined;
    });
    return configPromise;
  };

  const queue = (): Promise<RotationQueue> => {
    queuePromise ??= (async () => {
      const { RotationQueue, createQueueClient } = await import("../queue/enqueue.js");
      const { InputError } = await import("../errors.js");
      let client = options.queueClient;
      if (!client) {
        if (!settings.storage) {
          throw new InputError(
            "no storage for the rotation queue: set AzureWebJobsStorage__accountName (or __queueServiceUri), " +
              "or AzureWebJobsStorage for Azurite",
          );
        }
        client = await createQueueClient(settings.storage);
      }
      const rotationQueue = new RotationQueue(client);
      // The host creates its trigger queues on start; a failure here (e.g. no right to create) shows on send.
      await rotationQueue.ensureExists().catch(() => undefined);
      return rotationQueue;
    })();
    queuePromise.catch(() => {
      queuePromise = undefined;
    });
    return queuePromise;
  };

  const adapters = (): Promise<Adapters> => {
    adaptersPromise ??= config().then((loaded) => (options.adapters ?? realAdapters)(loaded, settings));
    adaptersPromise.catch(() => {
      adaptersPromise = undefined;
    });
    return adaptersPromise;
  };

  /** The book of agent reports, read when any of the gateways has a pulled deployment. */
  const reportBook = async (gateways: GatewayConfig[]) => {
    if (!gateways.some((g) => g.deployments.some((d) => d.cluster.type === "pulled"))) return undefined;
    return (await (await reportBookStore()).load()).book;
  };

  return {
    settings,
    config,
    queue,
    async rotate(gateway, rotateOptions) {
      if (options.rotate) return options.rotate(gateway, rotateOptions);
      const { rotateGateway } = await import("../rotation/rotate.js");
      const deps = (await adapters()).rotationDeps(gateway);
      const { log, ...rest } = rotateOptions;
      const reports = await reportBook([gateway]);
      const lock = await lockFor(gateway, deps);
      return rotateGateway(gateway, { ...deps, lock, reports, log: log ?? deps.log }, rest);
    },
    async checkManifest(text, file) {
      const { checkManifestText } = await import("./driftCheck.js");
      return checkManifestText(text, file);
    },
    async checkLive(gateways) {
      if (options.checkLive) return options.checkLive(gateways);
      const { checkLive } = await import("../live/check.js");
      return checkLive(await config(), (await adapters()).live, { gateways: gateways.map((g) => g.name) });
    },
    adapters,
    async live() {
      const reports = await reportBook((await config()).gateways).catch(() => undefined);
      return { ...(await adapters()).live, ...(reports ? { reports } : {}) };
    },
    reportBookStore,
    async reportQueue(cluster) {
      const { createQueueClient } = await import("../queue/enqueue.js");
      const { reportQueueName } = await import("../agent/report.js");
      return createQueueClient(await storage(), reportQueueName(cluster));
    },
    finishedRequests: new RecentKeys(),
    lastErrors: new RecentErrors(),
  };
}

/** The real adapters (shared/compose/realAdapters.ts) from the app settings. */
async function realAdapters(config: GuardConfig, settings: AppSettings): Promise<Adapters> {
  const { buildAdapters } = await import("../compose/realAdapters.js");
  return buildAdapters(config, settings);
}

async function loadConfig(settings: AppSettings): Promise<GuardConfig> {
  const { loadConfigFromSettings } = await import("../config/load.js");
  return loadConfigFromSettings({
    GATEWAY_GUARD_CONFIG: settings.configJson,
    GATEWAY_GUARD_CONFIG_FILE: settings.configFile,
  });
}

let current: Promise<AppServices> | undefined;

/**
 * The services of this instance: built on first use from `process.env` (through readAppSettings).
 * @returns the services.
 */
export function appServices(): Promise<AppServices> {
  current ??= (async () => {
    const { readAppSettings } = await import("../config/appSettings.js");
    return createAppServices({ settings: readAppSettings() });
  })();
  current.catch(() => {
    current = undefined;
  });
  return current;
}

/**
 * Replaces this instance's services (tests, local tools).
 * @param services - the services to use from now on.
 * @returns a function that restores the previous ones.
 */
export function useAppServices(services: AppServices): () => void {
  const previous = current;
  current = Promise.resolve(services);
  return () => {
    current = previous;
  };
}
