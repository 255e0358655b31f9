import type { Rule } from "../types.js";
import { liveGuard, liveMissing, startedBeforeRotation, tokenPlace } from "./live.js";

/** Every ready pod started after the Secret's last rotation. */
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
    const expected = "every ready pod started after the Secret's last rotation";
    const guard = liveGuard(bundle, expected);
    if (guard) return [guard];
    const pods = bundle.live?.pods;
    if (!pods) return [liveMissing(bundle, expected, "the deployment's pods")];
    const rotatedAt = bundle.live?.lastRotatedAt;
    if (!rotatedAt) {
      return [
        {
          ...tokenPlace(bundle, expected),
          status: "unknown",
          actual: "no rotation recorded",
          message:
            "No rotation recorded (annotation gateway-guard.io/rotated-at on the Secret): cannot tell which token the pods hold.",
        },
      ];
    }
    const place = tokenPlace(bundle, expected);
    const ready = pods.filter((pod) => pod.ready);
    const stale = ready.filter(
      (pod) => pod.startedAt !== undefined && startedBeforeRotation(pod.startedAt, rotatedAt),
    );
    const unknown = ready.filter((pod) => pod.startedAt === undefined);
    const rotated = `rotated ${rotatedAt.toISOString()}`;
    if (stale.length > 0) {
      const names = stale.map((pod) => pod.name).join(", ");
      return [
        {
          ...place,
          status: "fail",
          actual: `${stale.length} of ${ready.length} ready pods started before the rotation (${names}); ${rotated}`,
          message: `Pods ${names} still hold the old token; restart the deployment.`,
        },
      ];
    }
    if (unknown.length > 0) {
      const names = unknown.map((pod) => pod.name).join(", ");
      return [
        {
          ...place,
          status: "unknown",
          actual: `start time unknown for ${names}; ${rotated}`,
          message: `Cannot tell when pods ${names} started.`,
        },
      ];
    }
    return [
      {
        ...place,
        status: "pass",
        actual: `${ready.length} ready pods, all started after the rotation; ${rotated}`,
        message: ready.length === 0 ? "No ready pods to check." : "Every ready pod holds the current token.",
      },
    ];
  },
};
