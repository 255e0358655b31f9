/**
 * The queue worker: one message on `gateway-rotations`, one gateway rotation, one final event. A
 * failure that may pass throws while attempts are left (the host delivers the message again); every
 * other ending completes the message (shared/app/worker.ts).
 */
import { app, type InvocationContext } from "@azure/functions";
import { rotationQueueName, storageConnectionName } from "../shared/config/triggers.cjs";

/**
 * Processes one message.
 * @param message - the message (the host gives JSON as an object).
 * @param context - the invocation (dequeue count in the trigger metadata).
 * @throws the failure when it may pass and attempts are left, or when the app's settings are malformed.
 */
export async function rotationWorker(message: unknown, context: InvocationContext): Promise<void> {
  const { appServicesOrReport } = await import("../shared/app/configuration.js");
  const { deliveryOf, processRotationMessage } = await import("../shared/app/worker.js");
  const services = await appServicesOrReport(context, "worker");
  await processRotationMessage(services, message, context, deliveryOf(context.triggerMetadata));
}

app.storageQueue("rotationWorker", {
  queueName: rotationQueueName,
  connection: storageConnectionName,
  handler: rotationWorker,
});
