/**
 * The anonymous health answer: the version and whether the configuration loads. Nothing secret:
 * no gateway names, no URLs, no error detail (that goes to the log).
 */
import { packageInfo } from "../cli/package.js";
import type { HttpResult } from "./http.js";
import { errorText, eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/**
 * Builds the health answer: 200 when the configuration loads, 503 when it does not.
 * @param services - the app's services.
 * @param sink - the invocation's log.
 * @returns the answer.
 */
export async function healthResult(services: AppServices, sink: LogSink): Promise<HttpResult> {
  const version = packageInfo().version;
  try {
    const config = await services.config();
    return {
      status: 200,
      jsonBody: {
        status: "ok",
        name: "gateway-guard",
        version,
        configuration: { loaded: true, gateways: config.gateways.length },
      },
    };
  } catch (error) {
    eventLogger(sink).error("health.config-unavailable", { error: errorText(error) });
    return {
      status: 503,
      jsonBody: {
        status: "unavailable",
        name: "gateway-guard",
        version,
        configuration: {
          loaded: false,
          message: "the configuration could not be loaded (details in the app's log)",
        },
      },
    };
  }
}
