/**
 * The fleet page over HTTP: `GET /api/drift` asking for HTML (`Accept: text/html` or
 * `?format=html`) without a gateway renders every configured gateway on one self-contained page,
 * each Key Vault secret and deployment read once.
 */
import { packageInfo } from "../package.js";
import type { HttpResult } from "./http.js";
import { configurationErrorResult } from "./http.js";
import { eventLogger, type LogSink } from "./log.js";
import type { AppServices } from "./services.js";

/** The page's own policy, also sent as a header: no scripts, nothing from elsewhere. */
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * Renders the fleet page.
 * @param services - the app's services (configuration and adapters).
 * @param sink - the invocation's log.
 * @returns 200 with the page; 500 when the app's configuration cannot be loaded.
 * @throws what building the adapters throws (the caller maps it to a status).
 */
export async function handleFleetPage(services: AppServices, sink: LogSink): Promise<HttpResult> {
  let gateways;
  try {
    gateways = (await services.config()).gateways;
  } catch (error) {
    return configurationErrorResult(error, sink, "drift.config-unavailable", "configuration");
  }
  const [{ readFleet }, { fleetView, renderFleetPage }] = await Promise.all([
    import("../live/fleet.js"),
    import("../report/index.js"),
  ]);
  const now = new Date();
  const fleet = await readFleet(gateways, await services.live(), { drift: true, now });
  const view = fleetView(fleet, { now });
  eventLogger(sink).info("drift.fleet-page", {
    gateways: view.gateways.length,
    deployments: view.rows.length,
  });
  return {
    status: 200,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": contentSecurityPolicy,
      "Cache-Control": "no-store",
    },
    body: renderFleetPage(view, { toolVersion: packageInfo().version }),
  };
}
