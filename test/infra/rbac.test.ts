import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const documents = parseAllDocuments(
  readFileSync(new URL("../../infra/k8s/rbac.yaml", import.meta.url), "utf8"),
).map((document) => document.toJS() as { kind: string; rules?: PolicyRule[]; subjects?: unknown[] });

function granted(): string[] {
  const role = documents.find((document) => document.kind === "Role");
  return (role?.rules ?? []).flatMap((rule) =>
    rule.resources.flatMap((resource) =>
      rule.verbs.map((verb) => `${verb} ${resource}${rule.apiGroups[0] ? `.${rule.apiGroups[0]}` : ""}`),
    ),
  );
}

/** Exactly what shared/kube calls: rotation (read, patch, restart, rollout status, lease lock) and the live check. */
const needed = [
  "get deployments.apps",
  "patch deployments.apps",
  "get secrets",
  "patch secrets",
  "get configmaps",
  "list services",
  "list pods",
  "list poddisruptionbudgets.policy",
  "list horizontalpodautoscalers.autoscaling",
  "get leases.coordination.k8s.io",
  "create leases.coordination.k8s.io",
  "update leases.coordination.k8s.io",
];

describe("infra/k8s/rbac.yaml", () => {
  it("grants exactly the verbs gateway-guard uses, and no wildcard", () => {
    expect(granted().sort()).toEqual([...needed].sort());
  });

  it("binds the Role to the managed identity and to a service account", () => {
    const binding = documents.find((document) => document.kind === "RoleBinding");
    expect(binding?.subjects).toEqual([
      expect.objectContaining({ kind: "User" }),
      expect.objectContaining({ kind: "ServiceAccount", name: "gateway-guard" }),
    ]);
  });
});
