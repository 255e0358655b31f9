/**
 * Watches `gateway-rotations-poison`: logs the final event `rotation.poisoned` (gateway, request
 * id, last error) for an alert rule to fire on. It never throws, so a poisoned message is not
 * retried again. The worker ends a message itself on its last attempt, so only messages whose every
 * attempt crashed or timed out land here.
 */
import { app, type InvocationContext } from "@azure/functions";
import { rotationPoisonQueueName, storageConnectionName } from "../shared/config/triggers.cjs";

/**
 * Reports one poisoned message; the gateway and request id come from the message itself, so they
 * are logged even when the app's services cannot be built.
 * @param message - the message as the worker last saw it.
 * @param context - the invocation.
 */
export async function rotationPoison(message: unknown, context: InvocationContext): Promise<void> {
  try {
    const { deliveryOf } = await import("../shared/app/worker.js");
    const { reportPoisonedMessage } = await import("../shared/app/poison.js");
    const { appServices } = await import("../shared/app/services.js");
    const services = await appServices().then(
      (built) => ({ built, error: undefined }),
      (error: unknown) => ({ built: undefined, error }),
    );
    reportPoisonedMessage(
      services.built,
      message,
      context,
      deliveryOf(context.triggerMetadata),
      services.error,
    );
  } catch (error) {
    context.error(
      `rotation.poisoned ${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}`,
    );
  }
}

app.storageQueue("rotationPoison", {
  queueName: rotationPoisonQueueName,
  connection: storageConnectionName,
  handler: rotationPoison,
});
