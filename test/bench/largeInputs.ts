/**
 * Inputs of about 5 MiB (the per-input limit) in the shapes that once took time growing with the square of
 * their size: one huge mapping, many Deployments sharing labels with many Services, long lists, deep nesting.
 * Used by large-input.bench.ts (figures) and the load tests.
 */

/** A small gateway Deployment with the given name, namespace and pod labels. */
export function gatewayDeployment(name: string, namespace: string, labels: Record<string, string>): string {
  const labelLines = Object.entries(labels)
    .map(([key, value]) => `        ${key}: ${value}`)
    .join("\n");
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  replicas: 3
  selector:
    matchLabels:
${labelLines.replace(/^ {4}/gm, "")}
  template:
    metadata:
      labels:
${labelLines}
    spec:
      containers:
        - name: gateway
          image: mcr.microsoft.com/azure-api-management/gateway:2.9.0
          envFrom:
            - configMapRef:
                name: ${name}-env
`;
}

/** The shapes, each generated up to about `bytes` of text. */
export const largeInputShapes: Record<string, (bytes: number) => string> = {
  "one ConfigMap with many keys": (bytes) => {
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < bytes - 2000; i++) {
      const line = `  key-${i}: value-${i}`;
      lines.push(line);
      size += line.length + 1;
    }
    return `${gatewayDeployment("gw", "apim", { app: "gw" })}---\nkind: ConfigMap\nmetadata:\n  name: gw-env\n  namespace: apim\ndata:\n${lines.join("\n")}\n`;
  },
  "Deployments and Services sharing labels": (bytes) => {
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < bytes; i++) {
      const part = `${gatewayDeployment(`gw-${i}`, "apim", { app: "gateway", tier: "edge", instance: `gw-${i}` })}---
kind: Service
metadata:
  name: gw-${i}
  namespace: apim
spec:
  selector:
    app: gateway
    tier: edge
    instance: gw-${i}
  ports: [{ port: 80 }]
`;
      parts.push(part);
      size += part.length + 4;
    }
    return parts.join("---\n");
  },
  "a long list": (bytes) => {
    const items: string[] = [];
    let size = 0;
    for (let i = 0; size < bytes - 2000; i++) {
      const item = `        - name: VAR_${i}\n          value: "${i}"`;
      items.push(item);
      size += item.length + 1;
    }
    return gatewayDeployment("gw", "apim", { app: "gw" }).replace(
      "          envFrom:",
      `          env:\n${items.join("\n").replace(/^ {8}/gm, "            ")}\n          envFrom:`,
    );
  },
  "deep nesting": (bytes) => {
    const depth = Math.floor((bytes - 2000) / 8);
    return `${gatewayDeployment("gw", "apim", { app: "gw" })}---\nkind: ConfigMap\nmetadata:\n  name: gw-env\n  namespace: apim\nnested: ${"[".repeat(Math.min(depth, 10_000))}${"]".repeat(Math.min(depth, 10_000))}\n`;
  },
};
