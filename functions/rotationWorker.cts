/**
 * The queue worker: one message on `gateway-rotations`, one gateway rotation. Transient failures
 * throw (the host retries, then moves the message to `gateway-rotations-poison`); permanent ones
 * are logged as `rotation.rejected` and the message completes.
 */
import { app, type InvocationContext } from "@azure/functions";
import { rotationQueueName, storageConnectionName } from "../shared/config/triggers.cjs";

/**
 * Processes one message.
 * @param message - the message (the host gives JSON as an object).
 * @param context - the invocation (dequeue count in the trigger metadata).
 * @throws the failure when it is transient.
 */
export async function rotationWorker(message: unknown, context: InvocationContext): Promise<void> {
  const { appServices } = await import("../shared/app/services.js");
  const { deliveryOf, processRotationMessage } = await import("../shared/app/worker.js");
  await processRotationMessage(await appServices(), message, context, deliveryOf(context.triggerMetadata));
}

app.storageQueue("rotationWorker", {
  queueName: rotationQueueName,
  connection: storageConnectionName,
  handler: rotationWorker,
});
