/**
 * The drift checks the HTTP endpoint runs: a manifest from the request body, or the live state of
 * configured gateways. Loaded on first use (it pulls in the rules and, for the live check, the
 * Kubernetes client).
 */
import type { AppSettings } from "../config/appSettings.js";
import type { GatewayConfig, GuardConfig } from "../config/types.js";
import { checkObjects } from "../drift/check.js";
import { parseManifest } from "../drift/load.js";
import { rules } from "../drift/rules/index.js";
import type { CheckResult } from "../drift/types.js";

/**
 * Checks manifest text (YAML, any number of documents, or JSON) against the default baseline.
 * @param text - the manifest.
 * @param file - the name findings carry.
 * @returns one report per gateway Deployment.
 * @throws InputError for unreadable input or input without a gateway Deployment.
 */
export async function checkManifestText(text: string, file: string): Promise<CheckResult> {
  return checkObjects(parseManifest(text, file), rules);
}

/**
 * Runs the live check (objects read from the clusters, token state from the Secrets and Key Vault).
 * @param gateways - the gateways to check.
 * @param config - the whole configuration.
 * @param settings - the app settings.
 * @returns one report per deployment.
 */
export async function checkGatewaysLive(
  gateways: GatewayConfig[],
  config: GuardConfig,
  settings: AppSettings,
): Promise<CheckResult> {
  void gateways;
  void config;
  void settings;
  throw new Error("the live drift check is not available in this build");
}
