/**
 * Keeping tokens out of text: logs, error messages and reports.
 */

/** What a token (or any secret value) is replaced by wherever it would be shown. */
export const redacted = "<redacted>";

const keyPrefix = "GatewayKey ";

/**
 * The text with every secret replaced by {@link redacted}, also in the forms it travels in:
 * base64 (a Secret's `data`) and `GatewayKey <secret>` base64.
 * @param text - any text that may hold a secret
 * @param secrets - the values to hide; empty or missing ones are skipped
 */
export function redactText(text: string, secrets: Iterable<string | undefined>): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(base64(secret));
    if (!secret.startsWith(keyPrefix)) forms.add(base64(keyPrefix + secret));
  }
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(redacted);
  return out;
}

/**
 * A gateway token anywhere in text: `<gateway>&<yyyyMMddHHmm>&<signature>`, with or without `GatewayKey `,
 * and the base64 form a Secret's `data` holds (`GatewayKey ` encodes to `R2F0ZXdheUtleS`).
 */
const tokenPatterns: Array<[marker: string, pattern: RegExp]> = [
  ["&", /(?:GatewayKey\s+)?(?<![^\s"'`<>=:,;([{])[^\s&"'`<>]*&\d{12}&[A-Za-z0-9+/=_-]+/g],
  ["R2F0ZXdheUtleS", /R2F0ZXdheUtleS[A-Za-z0-9+/=]*/g],
];

/**
 * The text with everything shaped like a gateway token replaced by {@link redacted}: for strings that leave
 * the program but may hold a token nobody told us about (a manifest's annotation, an error message).
 * @param text - any text.
 */
export function redactTokens(text: string): string {
  let out = text;
  for (const [marker, pattern] of tokenPatterns) {
    if (out.includes(marker)) out = out.replace(pattern, redacted);
  }
  return out;
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}
