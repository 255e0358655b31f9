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

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}
