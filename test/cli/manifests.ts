/**
 * Manifests for the CLI tests.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./harness.js";

/** The YAML the Azure portal generates (the bundled example). */
export const portalYaml = readFileSync(
  join(root, "shared", "drift", "examples", "portal-generated-v2.yaml"),
  "utf8",
);

/** A token as the portal prints it; it must never appear in any output. */
export const literalToken = "GatewayKey selfhost&203001010000&Zm9vYmFyLXNlY3JldC10b2tlbi12YWx1ZQ==";

/** The portal Deployment with the token written into the manifest instead of a secretKeyRef. */
export const literalTokenYaml = portalYaml.replace(
  /- name: config\.service\.auth\n(\s+)valueFrom:\n\s+secretKeyRef:\n\s+name: selfhost-token\n\s+key: value/,
  (_match, indent: string) => `- name: config.service.auth\n${indent}value: "${literalToken}"`,
);

/** A Deployment that is not a gateway. */
export const noGatewayYaml = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:1.27.0
`;

/** Broken YAML: an unclosed flow sequence on line 4. */
export const malformedYaml = `apiVersion: v1
kind: ConfigMap
metadata:
  name: [broken
data: {}
`;
