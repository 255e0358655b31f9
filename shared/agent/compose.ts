/**
 * The agent's composition root: the service's real adapters (Key Vault, the cluster, the Lease
 * lock) with the agent's issuer that never mints and a vault that is only read, plus the sender of
 * reports. Heavy (Azure and Kubernetes SDKs): import it lazily.
 */
import { composeAdapters, type ComposeAdaptersOptions } from "../compose/adapters.js";
import { createQueueClient } from "../queue/enqueue.js";
import type { AgentConfig } from "./config.js";
import type { AgentDeps, ReportSender } from "./pass.js";
import { agentIssuer, ReadOnlyVault } from "./readOnly.js";
import { QueueReportSender } from "./sender.js";

export interface ComposeAgentOptions extends Pick<
  ComposeAdaptersOptions,
  "credential" | "clientOptions" | "kubeEnvironment" | "pollIntervalInMs" | "lockIdentity" | "log" | "now"
> {
  /** Client id of the identity that sends reports (AZURE_CLIENT_ID); else DefaultAzureCredential's choice. */
  azureClientId?: string;
  /** Sends the reports instead of the configured queue (tests: a queue reached with a connection string). */
  reports?: ReportSender;
}

/**
 * Builds what {@link runAgentPass} needs; nothing connects until first use.
 * @param config - the validated agent configuration (its gateways carry the connection to the cluster)
 * @param options - credential, SDK client options, the report sender
 */
export function composeAgent(config: AgentConfig, options: ComposeAgentOptions): AgentDeps {
  const { reports, azureClientId, ...adapterOptions } = options;
  const adapters = composeAdapters({ gateways: config.gateways }, adapterOptions);
  const sender =
    reports ?? (config.reportQueueUrl ? queueSender(config.reportQueueUrl, azureClientId) : undefined);
  if (!sender) throw new Error("internal: the agent needs a report queue URL or a sender");
  return {
    rotationDeps(gateway) {
      const deps = adapters.rotationDeps(gateway);
      return { ...deps, issuer: agentIssuer, vault: new ReadOnlyVault(deps.vault) };
    },
    reports: reports ?? queueSender(config.reportQueueUrl, azureClientId),
    ...(options.now ? { now: options.now } : {}),
  };
}

/** The sender for a queue URL, with the identity-based connection the service uses for its own queues. */
function queueSender(queueUrl: string, clientId: string | undefined): QueueReportSender {
  const url = new URL(queueUrl);
  const segments = url.pathname.split("/").filter(Boolean);
  const queueName = segments.pop() ?? "";
  const queueServiceUri = `${url.origin}/${segments.join("/")}`;
  return new QueueReportSender(() =>
    createQueueClient({ kind: "identity", queueServiceUri, ...(clientId ? { clientId } : {}) }, queueName),
  );
}
