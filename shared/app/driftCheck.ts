/**
 * The manifest check the HTTP endpoint runs on a request body. Loaded on first use (it pulls in
 * the rules and the YAML parser). The live check is shared/live/check.ts, called by the services.
 */
import { InputError } from "../errors.js";
import { redactTokens } from "../token/redact.js";
import { checkObjects } from "../drift/check.js";
import { parseManifest } from "../drift/load.js";
import { rules } from "../drift/rules/index.js";
import type { CheckResult } from "../drift/types.js";

/**
 * Checks manifest text (YAML, any number of documents, or JSON) against the default baseline.
 * @param text - the manifest.
 * @param file - the name findings carry.
 * @returns one report per gateway Deployment.
 * @throws InputError for unreadable input or input without a gateway Deployment.
 */
export async function checkManifestText(text: string, file: string): Promise<CheckResult> {
  try {
    return checkObjects(parseManifest(text, file), rules);
  } catch (error) {
    throw asInputError(error, file);
  }
}

/**
 * Checking text in memory does no I/O, so whatever fails is caused by the input: an error that is not an
 * InputError already becomes one (HTTP 400, never 5xx), naming the input. The message may quote the
 * manifest (a key, a value), so anything shaped like a token is redacted.
 */
function asInputError(error: unknown, file: string): Error {
  if (error instanceof Error && error.name === "InputError") {
    return new InputError(redactTokens(error.message), { cause: error });
  }
  const reason = error instanceof Error ? error.message.split("\n")[0] : "unreadable";
  return new InputError(`${file}: cannot check this input (${reason}); expected Kubernetes objects.`, {
    cause: error,
  });
}
