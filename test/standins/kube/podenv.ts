/**
 * What environment a pod gets from Secrets when it starts: `env[].valueFrom.secretKeyRef` and
 * `envFrom[].secretRef`, resolved against the Secrets as they are at that moment.
 */
import type { KubeObject } from "./objects.js";

/** The parts of a container spec that carry environment. */
export interface ContainerSpec {
  name: string;
  image?: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ prefix?: string; secretRef?: { name: string } }>;
}

/**
 * Resolves the Secret-sourced environment of every container of a pod spec.
 * @param readSecret - reads a Secret of the pod's namespace by name.
 * @returns env var name → decoded value (containers merged; later ones win).
 */
export function secretEnvironment(
  containers: ContainerSpec[] | undefined,
  readSecret: (name: string) => KubeObject | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  const decode = (value: unknown) => Buffer.from(String(value), "base64").toString("utf8");
  for (const container of containers ?? []) {
    for (const from of container.envFrom ?? []) {
      if (!from.secretRef) continue;
      const data = (readSecret(from.secretRef.name)?.data ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(data)) env[`${from.prefix ?? ""}${key}`] = decode(value);
    }
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (!ref) continue;
      const value = ((readSecret(ref.name)?.data ?? {}) as Record<string, unknown>)[ref.key];
      if (value !== undefined) env[variable.name] = decode(value);
    }
  }
  return env;
}
