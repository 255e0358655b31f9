/**
 * Loading the app's settings and gateway configuration where a failure must not pass silently:
 * every function that finds them broken logs `config.invalid`, naming the setting and where.
 */
import type { GuardConfig } from "../config/types.js";
import { errorText } from "../errors.js";
import type { RotationLogger } from "../rotation/types.js";
import { logEvent } from "./events.js";
import { eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/**
 * The name of the app setting an error is about, when it carries one (`AppSettingError`, and the
 * configuration loader's errors).
 * @param error - anything thrown.
 */
export function settingOf(error: unknown): string | undefined {
  const setting = (error as { setting?: unknown } | null)?.setting;
  return typeof setting === "string" ? setting : undefined;
}

/**
 * Logs `config.invalid`: the setting's name (not its value), where it was being loaded, and why.
 * @param log - where the event goes.
 * @param error - why loading failed.
 * @param at - which function was loading it (`timer`, `worker`, `health`, ...).
 */
export function reportInvalidConfig(log: RotationLogger, error: unknown, at: string): void {
  logEvent(log, "config.invalid", { setting: settingOf(error), at, error: errorText(error) });
}

/**
 * The gateway configuration, or `config.invalid` logged and the error rethrown.
 * @param services - the app's services.
 * @param log - where the event goes.
 * @param at - which function is loading it.
 * @returns the configuration.
 */
export async function loadConfigOrReport(
  services: Pick<AppServices, "config">,
  log: RotationLogger,
  at: string,
): Promise<GuardConfig> {
  try {
    return await services.config();
  } catch (error) {
    reportInvalidConfig(log, error, at);
    throw error;
  }
}

/**
 * The services of this instance, or `config.invalid` logged (naming the malformed app setting) and
 * the error rethrown.
 * @param sink - the invocation's log.
 * @param at - which function is starting.
 * @returns the services.
 */
export async function appServicesOrReport(sink: LogSink, at: string): Promise<AppServices> {
  const { appServices } = await import("./services.js");
  try {
    return await appServices();
  } catch (error) {
    reportInvalidConfig(eventLogger(sink), error, at);
    throw error;
  }
}
