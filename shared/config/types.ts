/**
 * The typed configuration every part below the edge works with. `schema.ts` validates raw
 * YAML/JSON into these types once, with defaults applied; nothing below reads `process.env`.
 */

/** How to reach a cluster. */
export type ClusterConnection =
  /** A kubeconfig file (default: $KUBECONFIG, then ~/.kube/config) and optionally a context in it. */
  | { type: "kubeconfig"; path?: string; context?: string }
  /** A kubeconfig held in a Key Vault secret (e.g. for clusters outside Azure). */
  | { type: "keyVaultKubeconfig"; vaultUrl: string; secretName: string; context?: string }
  /** The service account of the pod this runs in. */
  | { type: "inCluster" }
  /** AKS with Entra ID: an @azure/identity token for the AKS server application; server and CA from here. */
  | { type: "aks"; server: string; certificateAuthorityData?: string; scope: string }
  /**
   * Pull mode (docs/pull-mode.md): the service never calls this cluster; the agent inside it delivers
   * and reports as `name` on the queue `gateway-guard-reports-<name>`.
   */
  | { type: "pulled"; name: string; agentIntervalInMinutes: number };

/** One Kubernetes deployment that runs a gateway. */
export interface DeploymentTarget {
  cluster: ClusterConnection;
  namespace: string;
  deployment: string;
  /** Found by following the deployment's env/envFrom unless given. */
  secretName?: string;
  secretKey?: string;
}

/** The APIM gateway resource. */
export interface ApimGatewayRef {
  subscriptionId: string;
  resourceGroup: string;
  service: string;
  gatewayId: string;
}

export interface GatewayConfig {
  /** Our name for it (unique; used by the CLI, webhook and queue messages). */
  name: string;
  apim: ApimGatewayRef;
  keyVault: { url: string; secretName: string };
  deployments: DeploymentTarget[];
  /** Default 29, at most 30. */
  tokenLifetimeInDays: number;
  /** Default 7. */
  renewBeforeInDays: number;
  /** Default false. */
  revokeOldKey: boolean;
  /** Default 600000 (10 minutes). */
  rolloutTimeoutInMs: number;
}

export interface GuardConfig {
  gateways: GatewayConfig[];
  /** ARM endpoint override (sovereign clouds, tests). Default https://management.azure.com. */
  armEndpoint?: string;
}
