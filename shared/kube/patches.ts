/**
 * The two writes of a delivery as patch bodies: the Secret merge patch and the restart
 * strategic-merge patch. The real writes and the pre-flight dry runs send the same shapes.
 */
import { gatewayKeyPrefix } from "../token/parse.js";

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

/** What the Secret patch writes. */
export interface SecretPatch {
  secretKey: string;
  /** The value without `GatewayKey `. */
  token: string;
  /** Precondition: the resourceVersion read. */
  resourceVersion: string;
  /** Merged into the Secret's annotations; `null` removes one. */
  annotations: Record<string, string | null>;
}

/**
 * The merge patch that writes `GatewayKey <token>` under the key, on the resourceVersion read.
 * @param patch - key, token, precondition and annotations.
 */
export function secretPatchBody(patch: SecretPatch): object {
  return {
    metadata: { resourceVersion: patch.resourceVersion, annotations: patch.annotations },
    data: { [patch.secretKey]: Buffer.from(gatewayKeyPrefix + patch.token, "utf8").toString("base64") },
  };
}

/**
 * The strategic-merge patch of `kubectl rollout restart`: the pod template's restartedAt annotation.
 * @param restartedAt - RFC 3339; the same value on a retry changes nothing and rolls nothing.
 */
export function restartPatchBody(restartedAt: string): object {
  return { spec: { template: { metadata: { annotations: { [restartedAtAnnotation]: restartedAt } } } } };
}
