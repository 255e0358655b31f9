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

/** Repeats `part(i)` while the text stays within `bytes` (ASCII, so characters are bytes). */
function fill(bytes: number, head: string, part: (i: number) => string, separator = "\n"): string {
  const parts: string[] = [];
  let size = head.length;
  for (let i = 0; ; i++) {
    const next = part(i);
    if (size + next.length + separator.length > bytes) break;
    parts.push(next);
    size += next.length + separator.length;
  }
  return head + parts.join(separator) + separator;
}

/** The shapes, each generated up to `bytes` of text. */
export const largeInputShapes: Record<string, (bytes: number) => string> = {
  "one ConfigMap with many keys": (bytes) =>
    fill(
      bytes,
      `${gatewayDeployment("gw", "apim", { app: "gw" })}---\nkind: ConfigMap\nmetadata:\n  name: gw-env\n  namespace: apim\ndata:\n`,
      (i) => `  key-${i}: value-${i}`,
    ),
  "Deployments and Services sharing labels": (bytes) =>
    fill(
      bytes,
      "",
      (
        i,
      ) => `${gatewayDeployment(`gw-${i}`, "apim", { app: "gateway", tier: "edge", instance: `gw-${i}` })}---
kind: Service
metadata:
  name: gw-${i}
  namespace: apim
spec:
  selector:
    app: gateway
    tier: edge
    instance: gw-${i}
  ports: [{ port: 80 }]`,
      "\n---\n",
    ),
  "a long list": (bytes) => {
    const [head, tail] = gatewayDeployment("gw", "apim", { app: "gw" }).split("          envFrom:");
    const list = fill(
      bytes - tail.length - 40,
      `${head}          env:\n`,
      (i) => `            - name: VAR_${i}\n              value: "${i}"`,
    );
    return `${list}          envFrom:${tail}`;
  },
  "deep nesting": (bytes) => {
    const head = `${gatewayDeployment("gw", "apim", { app: "gw" })}---\nkind: ConfigMap\nmetadata:\n  name: gw-env\ndata:\n  nested: `;
    const depth = Math.floor((bytes - head.length - 2) / 2);
    return `${head}${"[".repeat(depth)}${"]".repeat(depth)}\n`;
  },
};
