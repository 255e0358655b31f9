/**
 * `GET /api/drift`, `GET /api/drift/{gateway}` (live check) and `POST /api/drift` (a manifest in
 * the body); JSON, SARIF, Markdown, HTML or JUnit by `?format=` or `Accept`.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";

/**
 * Handles a drift request.
 * @param request - the HTTP request.
 * @param context - the invocation.
 * @returns 200 with the report, 400, 404 or 413.
 */
export async function driftCheck(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { withAppServices } = await import("../shared/app/http.js");
  return withAppServices(context, async (services) => {
    const { handleDrift } = await import("../shared/app/driftHttp.js");
    return handleDrift(
      services,
      {
        method: request.method,
        gateway: request.params.gateway || undefined,
        format: request.query.get("format"),
        accept: request.headers.get("accept"),
        contentLength: request.headers.get("content-length"),
        body: () => request.text(),
      },
      context,
    );
  });
}

app.http("driftCheck", {
  route: "drift/{gateway?}",
  methods: ["GET", "POST"],
  authLevel: "function",
  handler: driftCheck,
});
