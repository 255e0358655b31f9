/**
 * The timer: enqueues one rotation message per configured gateway on the app setting
 * `ROTATION_SCHEDULE` (NCRONTAB, default daily at 03:00 UTC). It does not rotate itself. A malformed
 * schedule is logged as `config.invalid` and the timer is not registered; the other functions still
 * run, and `/api/health` answers 503 naming the setting.
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { checkRotationSchedule } from "../shared/config/triggers.cjs";

/**
 * Fans out the scheduled rotations.
 * @param timer - the timer (past-due flag).
 * @param context - the invocation.
 * @throws when the settings, the configuration or the queue are unavailable, or a send failed (after trying all).
 */
export async function rotationSchedule(timer: Timer, context: InvocationContext): Promise<void> {
  const { appServicesOrReport } = await import("../shared/app/configuration.js");
  const { enqueueScheduledRotations } = await import("../shared/app/schedule.js");
  if (timer.isPastDue) context.warn("schedule.past-due {}");
  await enqueueScheduledRotations(await appServicesOrReport(context, "timer"), context);
}

const { schedule, problem } = checkRotationSchedule(process.env.ROTATION_SCHEDULE);
if (problem) {
  // Registration loads no ES module, so the event is written here as shared/app/log.ts writes it.
  console.error(
    `config.invalid ${JSON.stringify({ setting: "ROTATION_SCHEDULE", at: "registration", error: problem })}`,
  );
} else {
  app.timer("rotationSchedule", {
    schedule,
    runOnStartup: false,
    handler: rotationSchedule,
  });
}
