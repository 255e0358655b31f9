/**
 * `GET /api/health` (anonymous): the version and whether the configuration loads; nothing secret.
 */
import { createRequire } from "node:module";
import type * as Functions from "@azure/functions";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";

/** Loaded with `require`: Node imports this CommonJS bundle through ESM about three times slower. */
const { app } = createRequire(import.meta.url)("@azure/functions") as typeof Functions;

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
