/**
 * What the function triggers register with: queue names, the storage connection and the rotation
 * schedule. CommonJS and free of imports, so that the function entry files (`functions/*.cts`,
 * loaded by the worker with `require`) register without loading any ES module; the ES modules take
 * these from here (`shared/queue/enqueue.ts`, `shared/config/appSettings.ts`). Written without
 * type-only syntax (types are inferred) so that tools that take `.cts` for plain JavaScript, as
 * Vite does by default, still run the ES modules that import it.
 */

/** Name of the queue the worker listens on. */
export const rotationQueueName = "gateway-rotations";
/** Where the Functions host moves a message after `maxDequeueCount` failed attempts (`<queue>-poison`). */
export const rotationPoisonQueueName = `${rotationQueueName}-poison`;
/** The app setting (prefix) of the storage connection the queue triggers use. */
export const storageConnectionName = "AzureWebJobsStorage";

/** Default rotation schedule: daily at 03:00 UTC. */
export const defaultRotationSchedule = "0 0 3 * * *";

const ncrontabField = /^[0-9*,/\-A-Za-z]+$/;

/**
 * Checks the app setting `ROTATION_SCHEDULE`. It does not throw: the caller turns a problem into
 * its own error.
 * @param value - the setting's value; absent or blank means {@link defaultRotationSchedule}.
 * @returns the schedule, and `problem` (naming the setting and what was expected) when it is not a
 *   6-field NCRONTAB expression.
 */
export function checkRotationSchedule(value = "") {
  const schedule = value.trim() || defaultRotationSchedule;
  const fields = schedule.split(/\s+/);
  const valid = fields.length === 6 && fields.every((field) => ncrontabField.test(field));
  return {
    schedule,
    problem: valid
      ? undefined
      : `app setting ROTATION_SCHEDULE: expected an NCRONTAB expression with 6 fields ` +
        `("{second} {minute} {hour} {day} {month} {day-of-week}", e.g. "${defaultRotationSchedule}"), got "${schedule}"`,
  };
}
