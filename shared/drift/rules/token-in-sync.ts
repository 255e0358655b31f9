import type { Rule } from "../types.js";
import { liveGuard, liveMissing, tokenPlace } from "./live.js";

/** Shows only the start of a hash: enough to compare by eye, nothing about the token. */
function short(sha256: string): string {
  return `sha256:${sha256.slice(0, 8)}…`;
}

/** The cluster Secret holds the same token as Key Vault's current version. */
export const tokenInSyncRule: Rule = {
  id: "token-in-sync",
  severity: "error",
  title: "Cluster Secret matches Key Vault",
  rationale:
    "Key Vault holds the current token; a cluster Secret that differs was missed by a rotation (or changed by hand) and will expire on its own schedule. Compared by SHA-256 hashes; no token is ever printed (this service).",
  source: "this service",
  remediation: `# rotate again so that Key Vault and every cluster hold the same new token:
#   gateway-guard rotate <name> --config gateway-guard.yaml --force`,
  live: true,
  check(bundle) {
    const expected = "the Secret's token equals Key Vault's current version (by SHA-256)";
    const guard = liveGuard(bundle, expected);
    if (guard) return [guard];
    const secret = bundle.live?.secretTokenSha256;
    const vault = bundle.live?.vaultTokenSha256;
    if (secret === undefined) return [liveMissing(bundle, expected, "the cluster Secret's token")];
    if (vault === undefined) return [liveMissing(bundle, expected, "Key Vault's current token")];
    const place = tokenPlace(bundle, expected);
    if (secret.toLowerCase() === vault.toLowerCase()) {
      return [
        {
          ...place,
          status: "pass",
          actual: `same token (${short(secret)})`,
          message: "The cluster Secret holds Key Vault's current token.",
        },
      ];
    }
    return [
      {
        ...place,
        status: "fail",
        actual: `Secret ${short(secret)}, Key Vault ${short(vault)}`,
        message:
          "The cluster Secret differs from Key Vault's current token: a rotation missed this cluster or the Secret was changed by hand.",
      },
    ];
  },
};
