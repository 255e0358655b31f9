/**
 * How a number of days until a token expires is written everywhere (status, plans, drift rules).
 */

/**
 * Days with one decimal: `29.0 days`, `6.5 days`.
 * @param days - a duration in days (the sign is kept)
 */
export function formatDays(days: number): string {
  const rounded = Math.round(days * 10) / 10;
  return `${(rounded === 0 ? 0 : rounded).toFixed(1)} days`;
}
