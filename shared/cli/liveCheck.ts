/**
 * The live side of `gateway-guard check --config FILE [NAME...]`: the configured gateways' objects
 * read from their clusters, Key Vault's token hash added, every rule run (live ones included).
 * `commands/check.ts` imports this module only when `--config` is given, so a manifest check never
 * loads the Azure or Kubernetes SDKs.
 */
import type { Baseline } from "../drift/baseline.js";
import type { CheckResult } from "../drift/types.js";
import { loadCliConfig, realAdapters, selectGateways, type AdaptersFactory } from "./connect.js";
import type { CliIO } from "./io.js";

export interface LiveCheckCliOptions {
  /** `--config`; without it the GATEWAY_GUARD_CONFIG / GATEWAY_GUARD_CONFIG_FILE settings. */
  config?: string;
  /** Gateway names; default every configured gateway. */
  names: readonly string[];
  baseline?: Baseline;
  baselineName?: string;
  strict?: boolean;
}

/**
 * Checks the configured gateways live.
 * @param io - the CLI's environment (configuration path base, settings).
 * @param options - configuration, gateway names, baseline.
 * @param connect - the adapters; the real ones by default.
 * @returns one report per deployment.
 * @throws InputError for a bad configuration or an unknown gateway name.
 */
export async function checkConfigured(
  io: CliIO,
  options: LiveCheckCliOptions,
  connect: AdaptersFactory = realAdapters(io.env),
): Promise<CheckResult> {
  const config = await loadCliConfig(options.config, io, "check");
  const gateways = selectGateways(config, options.names);
  const adapters = await connect(config);
  const { checkLive } = await import("../live/check.js");
  return checkLive(config, adapters.live, {
    gateways: gateways.map((g) => g.name),
    baseline: options.baseline,
    baselineName: options.baselineName,
    strict: options.strict,
  });
}
