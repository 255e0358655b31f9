/**
 * The timer: enqueues one rotation message per configured gateway on the app setting
 * `ROTATION_SCHEDULE` (NCRONTAB, default daily at 03:00 UTC). It does not rotate itself.
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { checkRotationSchedule } from "../shared/config/triggers.cjs";

const { schedule, problem } = checkRotationSchedule(process.env.ROTATION_SCHEDULE);
// Named as shared/errors.ts's InputError: registration loads no ES module.
if (problem) throw Object.assign(new Error(problem), { name: "InputError" });

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
  schedule,
  runOnStartup: false,
  handler: rotationSchedule,
});
