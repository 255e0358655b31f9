/**
 * `GET /api/health` (anonymous): the version and whether the configuration loads; nothing secret.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";

/**
 * Answers the health probe.
 * @param _request - the HTTP request (unused).
 * @param context - the invocation.
 * @returns 200 when the configuration loads, else 503.
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { withAppServices } = await import("../shared/app/http.js");
  return withAppServices(context, async (services) => {
    const { healthResult } = await import("../shared/app/health.js");
    return healthResult(services, context);
  });
}

app.http("health", {
  route: "health",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: health,
});
