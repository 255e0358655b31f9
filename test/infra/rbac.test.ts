import { readdirSync, readFileSync } from "node:fs";
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

/** The API group of each kind the adapter touches ("" for the core group). */
const groupOf: Record<string, string> = {
  ConfigMap: "",
  Deployment: "apps",
  HorizontalPodAutoscaler: "autoscaling",
  Lease: "coordination.k8s.io",
  Pod: "",
  PodDisruptionBudget: "policy",
  ReplicaSet: "apps",
  Secret: "",
  Service: "",
};
const verbOf: Record<string, string> = {
  read: "get",
  list: "list",
  patch: "patch",
  create: "create",
  replace: "update",
  delete: "delete",
};

/**
 * Every `<verb> <resource>` that the Kubernetes adapter calls, read from its source: client-node
 * method names, and the paths given to client-node's `Watch.watch`.
 */
function calledByTheCode(): string[] {
  const directory = new URL("../../shared/kube/", import.meta.url);
  const calls = new Set<string>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith(".ts"))) {
    const source = readFileSync(new URL(file, directory), "utf8");
    for (const [, method, kind] of source.matchAll(
      /\.(read|list|patch|create|replace|delete)Namespaced([A-Za-z]+)\(/g,
    )) {
      const group = groupOf[kind!];
      if (group === undefined)
        throw new Error(`${file} calls ${method}Namespaced${kind}: add ${kind}'s API group to groupOf`);
      calls.add(`${verbOf[method!]} ${kind!.toLowerCase()}s${group ? `.${group}` : ""}`);
    }
    for (const [, group, resource] of source.matchAll(
      /\.watch\(\s*`\/(?:api|apis\/([a-z0-9.-]+))\/v\w+\/namespaces\/\$\{[^}]*\}\/([a-z]+)`/g,
    )) {
      calls.add(`watch ${resource!}${group ? `.${group}` : ""}`);
    }
  }
  return [...calls];
}

describe("infra/k8s/rbac.yaml", () => {
  it("grants exactly the verbs that shared/kube calls, and no wildcard", () => {
    const needed = calledByTheCode();
    expect(needed).toContain("patch secrets");
    expect(needed).toContain("watch deployments.apps");
    expect(granted().sort()).toEqual(needed.sort());
  });

  it("binds the Role to the managed identity and to a service account", () => {
    const binding = documents.find((document) => document.kind === "RoleBinding");
    expect(binding?.subjects).toEqual([
      expect.objectContaining({ kind: "User" }),
      expect.objectContaining({ kind: "ServiceAccount", name: "gateway-guard" }),
    ]);
  });
});
