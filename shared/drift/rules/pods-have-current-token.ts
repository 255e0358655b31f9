import type { Rule } from "../types.js";
import { liveGuard, liveMissing, podsOnCurrentToken, tokenPlace } from "./live.js";

/** Every ready pod runs Key Vault's current token: the Secret holds it, and the pod started after its last rotation. */
export const podsHaveCurrentTokenRule: Rule = {
  id: "pods-have-current-token",
  severity: "error",
  title: "Pods run with the current token",
  rationale:
    "Environment variables from a Secret are read only when a container starts; a pod started before the last rotation still holds the old token and fails when it expires (Kubernetes docs).",
  source: "Kubernetes docs",
  remediation: `# restart the pods so that they read the current Secret:
#   kubectl rollout restart deployment/apim-gateway -n apim-gateway`,
  live: true,
  check(bundle) {
    const expected =
      "every ready pod runs Key Vault's current token (started after the Secret's last rotation)";
    const guard = liveGuard(bundle, expected);
    if (guard) return [guard];
    const pods = bundle.live && podsOnCurrentToken(bundle.live);
    if (!pods) return [liveMissing(bundle, expected, "the deployment's pods")];
    const place = tokenPlace(bundle, expected);
    const rotatedAt = bundle.live?.lastRotatedAt;
    const rotated = rotatedAt ? `; rotated ${rotatedAt.toISOString()}` : "";
    if (pods.current === undefined) {
      return [
        {
          ...place,
          status: "unknown",
          actual: "no rotation recorded",
          message: `${capitalize(pods.reason ?? "")}: cannot tell which token the pods hold.`,
        },
      ];
    }
    if (pods.behind.length > 0) {
      const names = pods.behind.join(", ");
      return [
        pods.reason
          ? {
              ...place,
              status: "fail",
              actual: `${pods.current} of ${pods.ready} ready pods on Key Vault's token (${names} hold another)`,
              message: `${capitalize(pods.reason)}; deliver it (gateway-guard rotate) so that the pods restart with it.`,
            }
          : {
              ...place,
              status: "fail",
              actual: `${pods.behind.length} of ${pods.ready} ready pods started before the rotation (${names})${rotated}`,
              message: `Pods ${names} still hold the old token; restart the deployment.`,
            },
      ];
    }
    if (pods.unknownStart.length > 0) {
      const names = pods.unknownStart.join(", ");
      return [
        {
          ...place,
          status: "unknown",
          actual: `start time unknown for ${names}${rotated}`,
          message: `Cannot tell when pods ${names} started.`,
        },
      ];
    }
    return [
      {
        ...place,
        status: "pass",
        actual: `${pods.ready} ready pods, all started after the rotation${rotated}`,
        message: pods.ready === 0 ? "No ready pods to check." : "Every ready pod holds the current token.",
      },
    ];
  },
};

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
