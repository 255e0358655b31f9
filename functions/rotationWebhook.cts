/**
 * `POST /api/rotations`: Event Grid, CloudEvents, Azure Monitor alerts and plain calls ask for a
 * rotation; one message per gateway goes on the queue. `OPTIONS` answers the CloudEvents handshake.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";

/**
 * Handles a webhook call.
 * @param request - the HTTP request.
 * @param context - the invocation.
 * @returns 200 (validation, handshake, ignored), 202 (enqueued), 400, 404, 413, or 5xx for the app's own faults.
 */
export async function rotationWebhook(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const { withAppServices } = await import("../shared/app/http.js");
  return withAppServices(context, async (services) => {
    const { handleWebhookOptions, handleWebhookPost } = await import("../shared/app/webhook.js");
    if (request.method === "OPTIONS") return handleWebhookOptions(request.headers, services.settings);
    return handleWebhookPost(
      services,
      { headers: request.headers, body: () => request.arrayBuffer() },
      context,
    );
  });
}

app.http("rotationWebhook", {
  route: "rotations",
  methods: ["POST", "OPTIONS"],
  authLevel: "function",
  handler: rotationWebhook,
});
