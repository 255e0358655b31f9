/**
 * The environment variables a Kubernetes connection reads (the default kubeconfig, the pod's service
 * account), picked at the edge and passed down, so that nothing below the edge reads `process.env`.
 * Light: no Kubernetes SDK here.
 */

/** What `kubeconfig` connections without a path and `inCluster` connections read. */
export interface KubeEnvironment {
  /** Kubeconfig files, separated by the platform's path delimiter; the first one's context is current. */
  KUBECONFIG?: string;
  /** Home directory: the default kubeconfig is `$HOME/.kube/config`. */
  HOME?: string;
  /** Windows home directories, when HOME is not set. */
  USERPROFILE?: string;
  HOMEDRIVE?: string;
  HOMEPATH?: string;
  /** The API server of the cluster a pod runs in (set by Kubernetes). */
  KUBERNETES_SERVICE_HOST?: string;
  KUBERNETES_SERVICE_PORT?: string;
}

/** The names in {@link KubeEnvironment}. */
export const kubeEnvironmentNames = [
  "KUBECONFIG",
  "HOME",
  "USERPROFILE",
  "HOMEDRIVE",
  "HOMEPATH",
  "KUBERNETES_SERVICE_HOST",
  "KUBERNETES_SERVICE_PORT",
] as const satisfies ReadonlyArray<keyof KubeEnvironment>;

/**
 * Picks the Kubernetes variables out of an environment (at the edge).
 * @param env - the whole environment, e.g. the CLI's `io.env`.
 * @returns only the set, non-empty {@link kubeEnvironmentNames}.
 */
export function pickKubeEnvironment(env: Readonly<Record<string, string | undefined>>): KubeEnvironment {
  const picked: KubeEnvironment = {};
  for (const name of kubeEnvironmentNames) {
    const value = env[name];
    if (value !== undefined && value !== "") picked[name] = value;
  }
  return picked;
}
