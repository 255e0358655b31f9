/**
 * How API Management signs a gateway token, as Microsoft's samples document it for its shared-access
 * tokens: `<id>&<yyyyMMddHHmm>&<base64 HMAC-SHA512>`, where the HMAC's key is the UTF-8 bytes of
 * the gateway key (as "Gateway - List Keys" returns it) and the signed text is
 * `<id>\n<expiry in .NET round-trip form>` (`2025-03-30T00:00:00.0000000Z`, seconds always 0).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { stripGatewayKeyPrefix, tokenExpiry } from "../token/parse.js";
import type { KeyType } from "../token/types.js";

/**
 * The base64 signature of a token for `id` expiring at `expiresOn` (to the minute), under `key`.
 * @param key - the gateway key as ARM lists it
 * @param id - the gateway id (the token's first field)
 * @param expiresOn - the expiry; seconds and milliseconds are dropped, as in the token
 */
export function tokenSignature(key: string, id: string, expiresOn: Date): string {
  const minute = new Date(Math.floor(expiresOn.getTime() / 60_000) * 60_000);
  const roundTrip = minute.toISOString().replace(/\.\d{3}Z$/, ".0000000Z");
  return createHmac("sha512", Buffer.from(key, "utf8"))
    .update(`${id}\n${roundTrip}`, "utf8")
    .digest("base64");
}

/**
 * Which of the keys signed the token, by recomputing its signature under each.
 * @param token - with or without `GatewayKey `
 * @param keys - the gateway's current keys
 * @returns the key type, or undefined when neither key signed it (regenerated since, or not a token)
 */
export function signingKeyOf(token: string, keys: Readonly<Record<KeyType, string>>): KeyType | undefined {
  const [id, , signature] = stripGatewayKeyPrefix(token).split("&");
  const expiresOn = tokenExpiry(token);
  if (!id || !signature || !expiresOn) return undefined;
  const given = Buffer.from(signature, "base64");
  return (["primary", "secondary"] as const).find((keyType) => {
    const expected = Buffer.from(tokenSignature(keys[keyType], id, expiresOn), "base64");
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}
