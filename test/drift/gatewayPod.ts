/**
 * The pod of a gateway that passes the drift rules: one `gateway` container with the sync ports,
 * probes, requests and a hardened security context, spread across zones. Shared by the rule tests'
 * base gateway (test/drift/rules/base.ts) and the stand-in fleet (test/standins/gateways.ts).
 */

/** What the pod refers to. */
export interface GatewayPodOptions {
  /** The pod's labels; also the topology spread selector. */
  labels: Record<string, string>;
  /** The Secret and key read by env `config.service.auth`. */
  secretName: string;
  secretKey: string;
  /** The ConfigMap loaded with `envFrom`. */
  configMapName: string;
}

/** A container port. */
export interface GatewayPort {
  name: string;
  containerPort: number;
  protocol?: string;
}

/** The pod spec, fresh for each call so a caller may change it. */
export function gatewayPodSpec(options: GatewayPodOptions) {
  const { labels, secretName, secretKey, configMapName } = options;
  const ports: GatewayPort[] = [
    { name: "http", containerPort: 8080 },
    { name: "rate-limit-dc", protocol: "UDP", containerPort: 4290 },
    { name: "dc-heartbeat", protocol: "UDP", containerPort: 4291 },
  ];
  return {
    terminationGracePeriodSeconds: 60,
    securityContext: { fsGroup: 1001 },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: labels },
      },
    ],
    containers: [
      {
        name: "gateway",
        image: "mcr.microsoft.com/azure-api-management/gateway:2.9.2",
        ports,
        resources: { requests: { cpu: "2", memory: "2Gi" } },
        readinessProbe: { httpGet: { path: "/status-0123456789abcdef", port: "http" } },
        livenessProbe: { httpGet: { path: "/status-0123456789abcdef", port: "http" } },
        securityContext: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        },
        env: [
          {
            name: "config.service.auth",
            valueFrom: { secretKeyRef: { name: secretName, key: secretKey } },
          },
        ],
        envFrom: [{ configMapRef: { name: configMapName } }],
      },
    ],
  };
}
