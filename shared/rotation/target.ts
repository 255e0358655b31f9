/**
 * How a deployment target is named in plans, outcomes and logs: `<context-or-server>/<namespace>/<deployment>`,
 * or `pulled:<name>/<namespace>/<deployment>` for a deployment its cluster's agent delivers.
 */
import type { ClusterConnection, DeploymentTarget } from "../config/types.js";

/** A short name for the cluster: the kubeconfig context, the AKS server host, `in-cluster`, or `pulled:<name>`. */
export function clusterLabel(cluster: ClusterConnection): string {
  switch (cluster.type) {
    case "kubeconfig":
      return cluster.context ?? "current-context";
    case "keyVaultKubeconfig":
      return cluster.context ?? cluster.secretName;
    case "inCluster":
      return "in-cluster";
    case "aks":
      return URL.canParse(cluster.server) ? new URL(cluster.server).host : cluster.server;
    case "pulled":
      return `pulled:${cluster.name}`;
  }
}

/** `<context-or-server>/<namespace>/<deployment>` */
export function targetLabel(target: DeploymentTarget): string {
  return `${clusterLabel(target.cluster)}/${target.namespace}/${target.deployment}`;
}
