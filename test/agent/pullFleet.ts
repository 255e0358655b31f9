/**
 * Pull mode over the stand-ins: a fleet (ARM, Key Vault, one Kubernetes cluster `edge-paris`,
 * Azurite) with one gateway `edge` whose deployment the agent serves; the agent's configuration
 * file, its dependencies through the real adapters (trusting the stand-ins), the cluster's report
 * queue in Azurite, and what the central service does for a pulled deployment (mint and store
 * only) and with the reports (read and judge them).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { QueueServiceClient, type QueueClient } from "@azure/storage-queue";
import { composeAgent } from "../../shared/agent/compose.js";
import { loadAgentConfigFile, type AgentConfig } from "../../shared/agent/config.js";
import type { AgentDeps } from "../../shared/agent/pass.js";
import { reportQueueName } from "../../shared/agent/report.js";
import {
  readReports,
  ReportBook,
  vaultVersions,
  type PulledDeployment,
  type ReadReportsResult,
} from "../../shared/agent/reports.js";
import { QueueReportSender } from "../../shared/agent/sender.js";
import { SecretClients } from "../../shared/azure/keyvault.js";
import type { ClusterConnection, GatewayConfig, GuardConfig } from "../../shared/config/types.js";
import { runWith } from "../../shared/cli/commands/agent.js";
import { captureIO } from "../cli/capture.js";
import type { StoredToken } from "../../shared/rotation/types.js";
import { startFleet, type Fleet, type FleetDeployment, type FleetGateway } from "../standins/fleet.js";

export const cluster = "edge-paris";
const dayInMs = 86_400_000;

export interface PullFleetOptions {
  rolloutStepInMs?: number;
  progressDeadlineInMs?: number;
  replicas?: number;
  /** Days until the seeded token expires. Default 20 (fresh). */
  expiresInDays?: number;
  /** Start the managed identity endpoint, for an agent run as a child process. */
  identity?: boolean;
  /** Add a second deployment of the gateway, in cluster `aks-east`, that the central service pushes to. */
  withPushed?: boolean;
}

export interface PullFleet {
  fleet: Fleet;
  seeded: FleetGateway;
  deployment: FleetDeployment;
  /** The agent's configuration file. */
  configPath: string;
  /** How the agent reaches the stand-in cluster (instead of the pod's service account). */
  connection: ClusterConnection;
  config: AgentConfig;
  /** The cluster's report queue (Azurite, reached with the development account). */
  queue: QueueClient;
  /** The agent's dependencies: the real adapters trusting the stand-ins, reports to {@link queue}. */
  deps(): AgentDeps;
  /**
   * What the central service does for a pulled deployment: mint with the other key, store in Key Vault.
   * @param lifetimeInMs - how long the token lives; default 29 days
   */
  centralMint(lifetimeInMs?: number): Promise<StoredToken>;
  /** The deployment as the central configuration places it. */
  placement: PulledDeployment;
  /** The central configuration, the agent's deployment marked `delivery: pull`, with `revokeOldKey`. */
  central(): Promise<GuardConfig>;
  /** The central service reading the cluster's queue into `book`. */
  readReports(book: ReportBook, placements?: PulledDeployment[]): Promise<ReadReportsResult>;
  stop(): Promise<void>;
}

/** Starts the fleet and Azurite, writes the agent configuration and creates the report queue. */
export async function startPullFleet(options: PullFleetOptions = {}): Promise<PullFleet> {
  const fleet = await startFleet({
    clusters: options.withPushed ? [cluster, "aks-east"] : [cluster],
    azurite: true,
    identity: options.identity,
    rolloutStepInMs: options.rolloutStepInMs,
    progressDeadlineInMs: options.progressDeadlineInMs,
    gateways: [
      {
        name: "edge",
        keyType: "primary",
        expiresInDays: options.expiresInDays ?? 20,
        deployments: [
          {
            cluster: 0,
            namespace: "apim-gateway",
            deployment: "edge-gateway",
            layout: "helm",
            replicas: options.replicas,
          },
          ...(options.withPushed
            ? [{ cluster: 1, namespace: "apim", deployment: "gateway", layout: "helm" as const }]
            : []),
        ],
      },
    ],
  });
  try {
    const azurite = fleet.azurite;
    if (!azurite) throw new Error("the fleet started without Azurite");
    const [seeded] = fleet.gateways;
    const [deployment] = seeded.deployments;
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(
      reportQueueName(cluster),
    );
    await queue.create();
    const configPath = join(fleet.directory, "agent.yaml");
    await writeFile(
      configPath,
      stringify({
        cluster,
        reportQueueUrl: `${azurite.queueUrl}/${reportQueueName(cluster)}`,
        gateways: [
          {
            name: seeded.name,
            keyVault: { url: fleet.keyVault.namedVaultUrl, secretName: seeded.vaultSecret },
            deployments: [{ namespace: deployment.namespace, deployment: deployment.deployment }],
            rolloutTimeoutInMs: 30_000,
          },
        ],
      }),
    );
    const connection: ClusterConnection = {
      type: "kubeconfig",
      path: fleet.kubeconfigPath,
      context: deployment.context,
    };
    const config = await loadAgentConfigFile(configPath, { connection });
    const secrets = new SecretClients({ credential: fleet.credential, clientOptions: fleet.clientOptions });
    const placement: PulledDeployment = {
      gateway: seeded.name,
      cluster,
      namespace: deployment.namespace,
      deployment: deployment.deployment,
    };
    return {
      fleet,
      seeded,
      deployment,
      configPath,
      connection,
      config,
      queue,
      placement,
      deps: () =>
        composeAgent(config, {
          credential: fleet.credential,
          clientOptions: fleet.clientOptions,
          pollIntervalInMs: 25,
          reports: new QueueReportSender(() => Promise.resolve(queue)),
        }),
      async centralMint(lifetimeInMs = 29 * dayInMs) {
        const central = await fleet.loadConfig();
        const gateway: GatewayConfig = central.gateways[0];
        const deps = (await fleet.connect()(central)).rotationDeps(gateway);
        const current = await deps.vault.current(gateway.keyVault.secretName);
        const keyType = current?.keyType === "primary" ? "secondary" : "primary";
        const expiresOn = new Date(Math.floor((Date.now() + lifetimeInMs) / 60_000) * 60_000);
        const token = await deps.issuer.mint(gateway.apim, keyType, expiresOn);
        return deps.vault.store(gateway.keyVault.secretName, token, {
          expiresOn,
          keyType,
          gateway: gateway.name,
        });
      },
      async central() {
        const loaded = await fleet.loadConfig();
        const gateways = loaded.gateways.map((g) => ({
          ...g,
          revokeOldKey: true,
          deployments: g.deployments.map((d, i) =>
            i === 0
              ? { ...d, cluster: { type: "pulled" as const, name: cluster, agentIntervalInMinutes: 5 } }
              : d,
          ),
        }));
        return { ...loaded, gateways };
      },
      readReports: (book, placements = [placement]) =>
        readReports(cluster, queue, {
          placements,
          book,
          versionsOf: (gateway) =>
            gateway === seeded.name
              ? vaultVersions(secrets.client(fleet.keyVault.namedVaultUrl), seeded.vaultSecret)
              : Promise.resolve({}),
        }),
      stop: () => fleet.stop(),
    };
  } catch (error) {
    await fleet.stop();
    throw error;
  }
}

/** `gateway-guard agent --once` in this process, through the real adapters trusting the stand-ins. */
export async function agentOnce(p: PullFleet, wrap: (deps: AgentDeps) => AgentDeps = (deps) => deps) {
  const captured = captureIO();
  const { path, context } = p.connection as { path: string; context: string };
  const code = await runWith(
    ["--config", p.configPath, "--once", "--kubeconfig", path, "--context", context],
    captured.io,
    async () => wrap(p.deps()),
  );
  return {
    code,
    stdout: captured.stdout(),
    stderr: captured.stderr(),
    output: captured.stdout() + captured.stderr(),
  };
}
