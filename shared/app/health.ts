/**
 * The anonymous health answer: the version and whether the app can do its job. 503 names what is
 * broken (the setting, never its value) and logs `config.invalid`, which raises an alert. Nothing
 * secret: no gateway names, no URLs, no setting values, no error detail (that goes to the log).
 */
import { packageInfo } from "../package.js";
import type { HttpResult } from "./http.js";
import { loadConfigOrReport, reportInvalidConfig, settingOf } from "./configuration.js";
import { eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/**
 * Builds the health answer: 200 when the schedule is valid and the configuration loads, else 503
 * with the reason.
 * @param services - the app's services.
 * @param sink - the invocation's log.
 * @returns the answer.
 */
export async function healthResult(services: AppServices, sink: LogSink): Promise<HttpResult> {
  const log = eventLogger(sink);
  const schedule = services.settings.rotationSchedule;
  if (schedule.problem) {
    reportInvalidConfig(
      log,
      Object.assign(new Error(schedule.problem), { setting: "ROTATION_SCHEDULE" }),
      "health",
    );
    return unavailable(
      "app setting ROTATION_SCHEDULE is malformed, so no rotation is scheduled (details in the app's log)",
    );
  }
  try {
    const config = await loadConfigOrReport(services, log, "health");
    return {
      status: 200,
      jsonBody: {
        status: "ok",
        name: "gateway-guard",
        version: packageInfo().version,
        configuration: { loaded: true, gateways: config.gateways.length },
      },
    };
  } catch (error) {
    const setting = settingOf(error);
    return unavailable(
      `the gateway configuration${setting ? ` in app setting ${setting}` : ""} could not be loaded (details in the app's log)`,
    );
  }
}

/**
 * The health answer of this instance: as {@link healthResult}, and 503 with the version and the
 * malformed setting's name (not its value) when the app's settings cannot even be read.
 * @param sink - the invocation's log.
 * @param services - the services of this instance (default: `appServices()`).
 * @returns the answer; never throws.
 */
export async function appHealth(sink: LogSink, services?: () => Promise<AppServices>): Promise<HttpResult> {
  let built: AppServices;
  try {
    built = await (services ?? (await import("./services.js")).appServices)();
  } catch (error) {
    reportInvalidConfig(eventLogger(sink), error, "health");
    const setting = settingOf(error);
    return unavailable(
      `the app's settings are invalid${setting ? `: ${setting} is malformed` : ""} (details in the app's log)`,
    );
  }
  return healthResult(built, sink);
}

function unavailable(message: string): HttpResult {
  return {
    status: 503,
    jsonBody: {
      status: "unavailable",
      name: "gateway-guard",
      version: packageInfo().version,
      configuration: { loaded: false, message },
    },
  };
}
