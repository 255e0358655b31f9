/**
 * How a deployment target is named in plans, outcomes and logs: `<context-or-server>/<namespace>/<deployment>`,
 * or `pulled:<name>/<namespace>/<deployment>` for a deployment its cluster's agent delivers.
 */
import type { ClusterConnection, DeploymentTarget } from "../config/types.js";
import type { ReportedDeployment } from "./types.js";

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

/** A deployment its cluster's agent delivers (`delivery: pull`): the service never calls its cluster. */
export function isPulled(target: DeploymentTarget): target is DeploymentTarget & {
  cluster: Extract<ClusterConnection, { type: "pulled" }>;
} {
  return target.cluster.type === "pulled";
}

/** How the agent of a pulled deployment names it in its reports. */
export function reportedAs(
  gateway: string,
  target: DeploymentTarget & { cluster: { name: string } },
): ReportedDeployment {
  return {
    gateway,
    cluster: target.cluster.name,
    namespace: target.namespace,
    deployment: target.deployment,
  };
}
