/**
 * What the `status`, `rotate` and live `check` commands share: the configuration (`--config FILE`,
 * else the GATEWAY_GUARD_CONFIG / GATEWAY_GUARD_CONFIG_FILE settings), the gateways named on the
 * command line, and the real adapters built from the environment at this edge (AZURE_CLIENT_ID,
 * GATEWAY_GUARD_ARM_ENDPOINT). The SDKs load only when the adapters are built.
 */
import { resolve } from "node:path";
import type { Adapters } from "../compose/adapters.js";
import type { GatewayConfig, GuardConfig } from "../config/types.js";
import { InputError } from "../errors.js";
import { formatDays } from "../token/days.js";
import type { CliIO } from "./io.js";

/** Builds the adapters for a configuration (the real ones, or ones trusting local stand-ins in tests). */
export type AdaptersFactory = (config: GuardConfig) => Promise<Adapters>;

/**
 * The real adapters (shared/compose/realAdapters.ts) from the CLI's environment: AZURE_CLIENT_ID,
 * GATEWAY_GUARD_ARM_ENDPOINT (the configuration's `armEndpoint` wins), and KUBECONFIG / HOME for
 * kubeconfig connections without a path.
 * @param env - the CLI's environment.
 */
export function realAdapters(env: CliIO["env"]): AdaptersFactory {
  return async (config) => {
    const [{ buildAdapters }, { pickKubeEnvironment }] = await Promise.all([
      import("../compose/realAdapters.js"),
      import("../config/kubeEnvironment.js"),
    ]);
    return buildAdapters(config, {
      azureClientId: env.AZURE_CLIENT_ID?.trim() || undefined,
      armEndpoint: env.GATEWAY_GUARD_ARM_ENDPOINT?.trim() || undefined,
      kubeEnvironment: pickKubeEnvironment(env),
    });
  };
}

/**
 * Loads and validates the configuration.
 * @param path - `--config`; without it the GATEWAY_GUARD_CONFIG / GATEWAY_GUARD_CONFIG_FILE settings.
 * @throws InputError listing every problem with its path.
 */
export async function loadCliConfig(
  path: string | undefined,
  io: CliIO,
  command: string,
): Promise<GuardConfig> {
  const { loadConfigFile, loadConfigFromSettings } = await import("../config/load.js");
  if (path !== undefined) return loadConfigFile(resolve(io.cwd ?? process.cwd(), path));
  if (io.env.GATEWAY_GUARD_CONFIG?.trim() || io.env.GATEWAY_GUARD_CONFIG_FILE?.trim()) {
    return loadConfigFromSettings({
      GATEWAY_GUARD_CONFIG: io.env.GATEWAY_GUARD_CONFIG,
      GATEWAY_GUARD_CONFIG_FILE: io.env.GATEWAY_GUARD_CONFIG_FILE,
    });
  }
  throw new InputError(
    `${command} needs a configuration: --config FILE (YAML or JSON), GATEWAY_GUARD_CONFIG (the configuration as JSON) or GATEWAY_GUARD_CONFIG_FILE (a path). Run \`gateway-guard ${command} --help\`.`,
  );
}

/**
 * The gateways named on the command line, in configuration order; all of them when none is named.
 * @throws InputError for a name that is not configured.
 */
export function selectGateways(config: GuardConfig, names: readonly string[]): GatewayConfig[] {
  if (names.length === 0) return config.gateways;
  const unknown = names.filter((name) => !config.gateways.some((g) => g.name === name));
  if (unknown.length > 0) {
    const known = config.gateways.map((g) => g.name).join(", ");
    throw new InputError(
      `${unknown.map((n) => `"${n}"`).join(", ")} ${unknown.length === 1 ? "is" : "are"} not configured; expected one of: ${known}`,
    );
  }
  return config.gateways.filter((g) => names.includes(g.name));
}

/** Writes an input error the way `main` does, keeping a multi-line message (one config problem a line). */
export function reportInputError(io: CliIO, error: unknown): number {
  if (error instanceof Error && error.name === "InputError") {
    io.stderr.write(`gateway-guard: ${error.message.trim()}\n`);
    return 2;
  }
  throw error;
}

/** `in 4.0 days`, `expired 2.5 days ago`, or `unknown`. */
export function expiresIn(days: number | undefined): string {
  if (days === undefined) return "unknown";
  return days < 0 ? `expired ${formatDays(-days)} ago` : `in ${formatDays(days)}`;
}

/** Fixed-width columns, two spaces apart, every line indented. */
export function table(rows: string[][], indent = "  "): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows
    .map(
      (row) =>
        indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  "),
    )
    .join("\n")
    .concat("\n");
}
