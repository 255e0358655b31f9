/**
 * Objects for the stand-in's own tests: a gateway as the Azure portal deploys it (Secret with key
 * `value`, read by env `config.service.auth` through `secretKeyRef`).
 */
import type { KubeObject } from "./objects.js";

/** The gateway image the test Deployments run. */
export const gatewayImage = "mcr.microsoft.com/azure-api-management/gateway:v2";

/** The Secret value the gateway reads: `GatewayKey <token>`, base64-encoded as `data` holds it. */
export function gatewayKeyData(token: string): string {
  return Buffer.from(`GatewayKey ${token}`, "utf8").toString("base64");
}

/** A Deployment labelled and selected by `app: <name>`, running `containers`. */
export function gatewayDeployment(
  namespace: string,
  name: string,
  containers: object[],
  replicas: number,
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers },
      },
    },
  };
}

/** Namespace, token Secret and Deployment of one gateway. */
export function gatewayObjects(namespace: string, name: string, token: string, replicas = 2): KubeObject[] {
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `${name}-token`, namespace },
      type: "Opaque",
      data: { value: gatewayKeyData(token) },
    },
    gatewayDeployment(
      namespace,
      name,
      [
        {
          name,
          image: gatewayImage,
          env: [
            {
              name: "config.service.auth",
              valueFrom: { secretKeyRef: { name: `${name}-token`, key: "value" } },
            },
          ],
        },
      ],
      replicas,
    ),
  ];
}
