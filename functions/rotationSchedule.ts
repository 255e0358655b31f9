/**
 * The timer: enqueues one rotation message per configured gateway on the app setting
 * `ROTATION_SCHEDULE` (NCRONTAB, default daily at 03:00 UTC). It does not rotate itself.
 */
import { createRequire } from "node:module";
import type * as Functions from "@azure/functions";
import type { InvocationContext, Timer } from "@azure/functions";
import { readRotationSchedule } from "../shared/config/appSettings.js";

/** Loaded with `require`: Node imports this CommonJS bundle through ESM about three times slower. */
const { app } = createRequire(import.meta.url)("@azure/functions") as typeof Functions;

/**
 * Fans out the scheduled rotations.
 * @param timer - the timer (past-due flag).
 * @param context - the invocation.
 * @throws when the configuration or the queue is unavailable, or a send failed (after trying all).
 */
export async function rotationSchedule(timer: Timer, context: InvocationContext): Promise<void> {
  const { appServices } = await import("../shared/app/services.js");
  const { enqueueScheduledRotations } = await import("../shared/app/schedule.js");
  if (timer.isPastDue) context.warn("schedule.past-due {}");
  await enqueueScheduledRotations(await appServices(), context);
}

app.timer("rotationSchedule", {
  schedule: readRotationSchedule(),
  runOnStartup: false,
  handler: rotationSchedule,
});
