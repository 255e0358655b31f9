/**
 * A kubeconfig for stand-in clusters: loopback, a bearer token user; plain HTTP (client-node needs
 * `insecure-skip-tls-verify` for that) or HTTPS with the test CA (kubectl sends tokens only over TLS).
 */
import { stringify } from "yaml";

/** What goes into the kubeconfig. */
export interface KubeConfigFacts {
  server: string;
  cluster: string;
  user: string;
  token: string;
  context: string;
  namespace: string;
  /** PEM CA certificate when the stand-in serves HTTPS. */
  ca?: string;
}

/** Several stand-ins in one file: one cluster, user and context each; the first is current. */
export function kubeConfigYaml(entries: KubeConfigFacts[]): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    preferences: {},
    clusters: entries.map((e) => ({
      name: e.cluster,
      cluster: e.ca
        ? { server: e.server, "certificate-authority-data": Buffer.from(e.ca, "utf8").toString("base64") }
        : { server: e.server, "insecure-skip-tls-verify": true },
    })),
    users: entries.map((e) => ({ name: e.user, user: { token: e.token } })),
    contexts: entries.map((e) => ({
      name: e.context,
      context: { cluster: e.cluster, user: e.user, namespace: e.namespace },
    })),
    "current-context": entries[0]?.context ?? "",
  });
}
