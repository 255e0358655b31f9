/**
 * How a number of days until a token expires is written everywhere (status, plans, drift rules).
 */

/** One day in milliseconds. */
export const dayInMs = 86_400_000;

/**
 * Days from `now` to `date`, exact (decisions use this; {@link formatDays} rounds for people); negative when past.
 * @param date - the later instant, e.g. a token's expiry
 * @param now - the current time
 */
export function daysUntil(date: Date, now: Date): number {
  return (date.getTime() - now.getTime()) / dayInMs;
}

/**
 * Days with one decimal: `29.0 days`, `6.5 days`.
 * @param days - a duration in days (the sign is kept)
 */
export function formatDays(days: number): string {
  const rounded = Math.round(days * 10) / 10;
  return `${(rounded === 0 ? 0 : rounded).toFixed(1)} days`;
}
