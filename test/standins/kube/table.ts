/**
 * Server-side printing: the `meta.k8s.io/v1` `Table` that `kubectl get` asks for
 * (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with the usual columns per kind.
 */
import type { KubeObject } from "./objects.js";
import type { ResourceType } from "./resources.js";

interface Column {
  name: string;
  type: "string" | "integer";
  cell: (object: KubeObject) => string | number;
}

/** True when the Accept header asks for a Table. */
export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? "") && /g=meta\.k8s\.io/.test(accept ?? "");
}

function age(object: KubeObject): string {
  const seconds = Math.max(
    0,
    Math.floor((Date.now() - Date.parse(String(object.metadata.creationTimestamp))) / 1000),
  );
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

const count = (value: unknown) => Number(value ?? 0);

function columnsFor(resource: ResourceType): Column[] {
  const name: Column = { name: "Name", type: "string", cell: (o) => o.metadata.name };
  const ageColumn: Column = { name: "Age", type: "string", cell: age };
  switch (resource.kind) {
    case "Deployment":
      return [
        name,
        {
          name: "Ready",
          type: "string",
          cell: (o) => `${count(o.status?.readyReplicas)}/${count(o.spec?.replicas)}`,
        },
        { name: "Up-to-date", type: "integer", cell: (o) => count(o.status?.updatedReplicas) },
        { name: "Available", type: "integer", cell: (o) => count(o.status?.availableReplicas) },
        ageColumn,
      ];
    case "Pod": {
      const statuses = (o: KubeObject) =>
        (o.status?.containerStatuses ?? []) as Array<{
          ready?: boolean;
          restartCount?: number;
          state?: { waiting?: { reason?: string } };
        }>;
      return [
        name,
        {
          name: "Ready",
          type: "string",
          cell: (o) => `${statuses(o).filter((s) => s.ready).length}/${statuses(o).length}`,
        },
        {
          name: "Status",
          type: "string",
          cell: (o) =>
            statuses(o).find((s) => s.state?.waiting)?.state?.waiting?.reason ??
            String(o.status?.phase ?? "Pending"),
        },
        {
          name: "Restarts",
          type: "integer",
          cell: (o) => statuses(o).reduce((sum, s) => sum + count(s.restartCount), 0),
        },
        ageColumn,
      ];
    }
    case "Secret":
      return [
        name,
        { name: "Type", type: "string", cell: (o) => String(o.type ?? "Opaque") },
        { name: "Data", type: "integer", cell: (o) => Object.keys((o.data ?? {}) as object).length },
        ageColumn,
      ];
    case "ConfigMap":
      return [
        name,
        { name: "Data", type: "integer", cell: (o) => Object.keys((o.data ?? {}) as object).length },
        ageColumn,
      ];
    case "Namespace":
      return [
        name,
        { name: "Status", type: "string", cell: (o) => String(o.status?.phase ?? "Active") },
        ageColumn,
      ];
    case "Service":
      return [
        name,
        { name: "Type", type: "string", cell: (o) => String(o.spec?.type ?? "ClusterIP") },
        ageColumn,
      ];
    case "Lease":
      return [
        name,
        { name: "Holder", type: "string", cell: (o) => String(o.spec?.holderIdentity ?? "") },
        ageColumn,
      ];
    default:
      return [name, ageColumn];
  }
}

/** A Table of objects, each row carrying its object's metadata as kubectl expects. */
export function tableOf(resource: ResourceType, objects: KubeObject[], resourceVersion: string): unknown {
  const columns = columnsFor(resource);
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c, i) => ({
      name: c.name,
      type: c.type,
      format: i === 0 ? "name" : "",
      description: "",
      priority: 0,
    })),
    rows: objects.map((object) => ({
      cells: columns.map((c) => c.cell(object)),
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: object.metadata },
    })),
  };
}
