/**
 * The anonymous health answer: the version and whether the configuration loads. Nothing secret:
 * no gateway names, no URLs, no setting values, no error detail (that goes to the log).
 */
import type { AppSettingError } from "../config/appSettings.js";
import { packageInfo } from "../package.js";
import type { HttpResult } from "./http.js";
import { errorText } from "../errors.js";
import { eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/**
 * Builds the health answer: 200 when the configuration loads, 503 when it does not.
 * @param services - the app's services.
 * @param sink - the invocation's log.
 * @returns the answer.
 */
export async function healthResult(services: AppServices, sink: LogSink): Promise<HttpResult> {
  try {
    const config = await services.config();
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
    eventLogger(sink).error("health.config-unavailable", { error: errorText(error) });
    return unavailable("the configuration could not be loaded (details in the app's log)");
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
    eventLogger(sink).error("app.settings-invalid", { error: errorText(error) });
    const setting = (error as Partial<AppSettingError>).setting;
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
