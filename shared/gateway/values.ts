/**
 * Reading untrusted manifest values: as text, as mappings, as lists. A manifest may hold a mapping or a list where a string is
 * expected (`{app: {toString: 1}}` makes `String()` throw); these helpers never throw and never print
 * `[object Object]`.
 */

/**
 * The value as the manifest wrote it, for a scalar (string, finite number, boolean); undefined otherwise.
 * @param value - any parsed manifest value.
 */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined;
  return undefined;
}

/**
 * The value for a message: a scalar as written (`3`, `latest`), a non-finite number as YAML writes it
 * (`.nan`, `.inf`), else what it is (`a mapping`, `a list`, `null`, `nothing`).
 * @param value - any parsed manifest value.
 */
export function displayValue(value: unknown): string {
  const text = scalarText(value);
  if (text !== undefined) return text;
  if (typeof value === "number") return Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf";
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return "a mapping";
}

/** Whether the value is a mapping (not null, not a list). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value as a mapping; `{}` when it is not one. */
export function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** The value as a list; `[]` when it is not one. */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
