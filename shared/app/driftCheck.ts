/**
 * The manifest check the HTTP endpoint runs on a request body. Loaded on first use (it pulls in
 * the rules and the YAML parser). The live check is shared/live/check.ts, called by the services.
 */
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
  return checkObjects(parseManifest(text, file), rules);
}
