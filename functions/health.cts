/**
 * `GET /api/health` (anonymous): the version and whether the configuration loads; nothing secret.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";

/**
 * Answers the health probe.
 * @param _request - the HTTP request (unused).
 * @param context - the invocation.
 * @returns 200 when the configuration loads, else 503 (malformed app settings included).
 */
export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { appHealth } = await import("../shared/app/health.js");
  return appHealth(context);
}

app.http("health", {
  route: "health",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: health,
});
