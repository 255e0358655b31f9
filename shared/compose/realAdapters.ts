/**
 * The real adapters as both edges build them (the CLI and the Functions app): the default Azure
 * credential and the ARM endpoint precedence, in one place. Light: the SDKs load on call.
 */
import type { GuardConfig } from "../config/types.js";
import type { KubeEnvironment } from "../config/kubeEnvironment.js";
import type { Adapters, ComposeAdaptersOptions } from "./adapters.js";

/** What an edge read from its environment or app settings. */
export interface RealAdaptersSettings {
  /** Client id of a user-assigned managed identity (AZURE_CLIENT_ID); else the default identity chain. */
  azureClientId?: string;
  /** GATEWAY_GUARD_ARM_ENDPOINT; the configuration's `armEndpoint` wins over it. */
  armEndpoint?: string;
  /** For default-kubeconfig and inCluster connections. */
  kubeEnvironment?: KubeEnvironment;
  /** ROTATION_ROLLOUTS_PER_CLUSTER (the Functions app): rollouts at once per cluster; no cap when unset or 0. */
  rolloutsPerCluster?: number;
  /** ROTATION_SLOTS_NAMESPACE: where the rollout slot Leases live; default each deployment's namespace. */
  rolloutSlotsNamespace?: string;
}

/**
 * Builds the real adapters: `DefaultAzureCredential` (the user-assigned identity when given), the
 * configuration's ARM endpoint, else the setting, else the public cloud (precedence applied by
 * `composeAdapters`).
 * @param config - the validated configuration.
 * @param settings - what the edge read.
 * @returns the adapters (nothing connects until first use).
 */
export async function buildAdapters(config: GuardConfig, settings: RealAdaptersSettings): Promise<Adapters> {
  const [{ composeAdapters }, { createCredential }] = await Promise.all([
    import("./adapters.js"),
    import("../azure/credential.js"),
  ]);
  return composeAdapters(config, {
    credential: createCredential(
      settings.azureClientId ? { managedIdentityClientId: settings.azureClientId } : {},
    ),
    ...(settings.armEndpoint ? { armEndpoint: settings.armEndpoint } : {}),
    ...(settings.kubeEnvironment ? { kubeEnvironment: settings.kubeEnvironment } : {}),
    rolloutSlots: rolloutSlotsOf(settings),
  });
}

/**
 * The rollout cap the settings ask for, as `composeAdapters` takes it.
 * @param settings - what the edge read.
 * @returns the slots per cluster and their namespace; undefined for no cap.
 */
export function rolloutSlotsOf(settings: RealAdaptersSettings): ComposeAdaptersOptions["rolloutSlots"] {
  if (!settings.rolloutsPerCluster) return undefined;
  return { slots: settings.rolloutsPerCluster, namespace: settings.rolloutSlotsNamespace };
}
