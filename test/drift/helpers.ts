/**
 * Test helpers for the drift checker: build gateway bundles from YAML text.
 */
import { buildBundles, type BuildBundlesOptions } from "../../shared/gateway/bundle.js";
import { parseManifest } from "../../shared/drift/load.js";
import type { GatewayBundle } from "../../shared/drift/types.js";

/** Every gateway bundle in the YAML (or JSON) text, as a manifest check would see them. */
export function bundlesFromYaml(
  yaml: string,
  file = "test.yaml",
  options?: BuildBundlesOptions,
): GatewayBundle[] {
  return buildBundles(parseManifest(yaml, file), options);
}

/** The first gateway bundle in the YAML text; throws when there is none. */
export function bundleFromYaml(
  yaml: string,
  file = "test.yaml",
  options?: BuildBundlesOptions,
): GatewayBundle {
  const [bundle] = bundlesFromYaml(yaml, file, options);
  if (!bundle) throw new Error(`${file}: no gateway Deployment in the test YAML`);
  return bundle;
}
