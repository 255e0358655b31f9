/**
 * Reading what a gateway token says about itself, without ever printing it. A token looks like
 * `<gatewayId>&<yyyyMMddHHmm>&<base64 signature>`; the middle field appears to be its UTC expiry
 * (not documented, so it is only a fallback to the expiry recorded in Key Vault or on the Secret).
 */
import { createHash } from "node:crypto";

/** The prefix the gateway expects in front of the token in its Secret / environment variable. */
export const gatewayKeyPrefix = "GatewayKey ";

/** Removes a leading `GatewayKey ` (and surrounding whitespace) if present. */
export function stripGatewayKeyPrefix(value: string): string {
  const trimmed = value.trim();
  return trimmed.startsWith(gatewayKeyPrefix) ? trimmed.slice(gatewayKeyPrefix.length).trim() : trimmed;
}

/**
 * The expiry encoded in a token's middle field (`yyyyMMddHHmm`, UTC).
 * @param token - the token, with or without the `GatewayKey ` prefix
 * @returns the expiry, or undefined when the token does not have that shape or the date is impossible
 */
export function tokenExpiry(token: string): Date | undefined {
  const fields = stripGatewayKeyPrefix(token).split("&");
  if (fields.length < 3) return undefined;
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(fields[1]);
  if (!match) return undefined;
  const [year, month, day, hour, minute] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute));
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute;
  return roundTrips ? date : undefined;
}

/**
 * SHA-256 of a token (hex), to compare or show tokens without revealing them.
 * @param token - the token, with or without the `GatewayKey ` prefix (both give the same hash)
 */
export function sha256(token: string): string {
  return createHash("sha256").update(stripGatewayKeyPrefix(token), "utf8").digest("hex");
}
