/**
 * Discovery documents (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}`) as the
 * API server serves them in the legacy (unaggregated) form, enough for kubectl to find resources.
 */
import { apiVersionOf, resourceTypes, servedVerbs } from "./resources.js";

/** The version the stand-in claims to be. */
export const standinVersion = {
  major: "1",
  minor: "31",
  gitVersion: "v1.31.0-gateway-guard-standin",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2024-08-13T00:00:00Z",
  goVersion: "go1.22.5",
  compiler: "gc",
  platform: "linux/amd64",
};

function groupsAndVersions(): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const resource of resourceTypes) {
    if (!resource.group) continue;
    const versions = groups.get(resource.group) ?? [];
    if (!versions.includes(resource.version)) versions.push(resource.version);
    groups.set(resource.group, versions);
  }
  return groups;
}

function groupEntry(name: string, versions: string[]) {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

/**
 * The discovery document at a path, or undefined when the path is not a discovery path.
 * @param serverAddress - `host:port` the clients reach the stand-in on.
 */
export function discoveryDocument(path: string, serverAddress: string): unknown {
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "/version") return standinVersion;
  if (trimmed === "/api") {
    return {
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
    };
  }
  const groups = groupsAndVersions();
  if (trimmed === "/apis") {
    return {
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [...groups.entries()].map(([name, versions]) => groupEntry(name, versions)),
    };
  }
  const group = /^\/apis\/([^/]+)$/.exec(trimmed);
  if (group && groups.has(group[1])) {
    return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group[1], groups.get(group[1]) ?? []) };
  }
  const version = /^\/api\/(v1)$/.exec(trimmed) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(trimmed);
  if (version) {
    const groupVersion = version[1];
    const served = resourceTypes.filter((r) => apiVersionOf(r) === groupVersion);
    if (served.length === 0) return undefined;
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion,
      resources: served.flatMap((r) => [
        {
          name: r.plural,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: servedVerbs,
          ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
          ...(r.categories.length > 0 ? { categories: r.categories } : {}),
        },
        ...(r.hasStatus
          ? [
              {
                name: `${r.plural}/status`,
                singularName: "",
                namespaced: r.namespaced,
                kind: r.kind,
                verbs: ["get", "patch", "update"],
              },
            ]
          : []),
      ]),
    };
  }
  return undefined;
}
