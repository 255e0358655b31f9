import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as bundleModule from "../../shared/gateway/bundle.js";
import { buildBundles } from "../../shared/gateway/bundle.js";
import { KubeGatewayCluster } from "../../shared/kube/cluster.js";
import { liveTokenData, readLiveObjects } from "../../shared/kube/live.js";
import { secretAnnotations } from "../../shared/rotation/types.js";
import { sha256 } from "../../shared/token/parse.js";
import type { DeploymentTarget } from "../../shared/config/types.js";
import { startKubeStandin, type KubeStandin } from "../standins/kube/index.js";
import { gatewayKeyData } from "../standins/kube/fixtures.js";
import { docsGateway, fakeToken, kubeConfigOf, portalGateway } from "./fixtures.js";

vi.mock("../../shared/gateway/bundle.js", async (importOriginal) => {
  const actual = await importOriginal<typeof bundleModule>();
  return { ...actual, buildBundles: vi.fn(actual.buildBundles) };
});

const ns = "gateways";
const tokenExpiry = new Date("2026-03-04T05:06:00Z");
const token = fakeToken("edge", tokenExpiry, "live-signature");
const target: DeploymentTarget = { cluster: { type: "kubeconfig" }, namespace: ns, deployment: "portal" };

let standin: KubeStandin;
let cluster: KubeGatewayCluster;

const extras = [
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "portal-live", namespace: ns },
    spec: {
      type: "LoadBalancer",
      selector: { app: "portal" },
      ports: [{ name: "http", port: 80, targetPort: 8080 }],
    },
  },
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "someone-else", namespace: ns },
    spec: { selector: { app: "other" }, ports: [{ port: 80 }] },
  },
  {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: "portal-pdb", namespace: ns },
    spec: { minAvailable: 1, selector: { matchLabels: { app: "portal" } } },
  },
  {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "portal-hpa", namespace: ns },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "portal" },
      minReplicas: 2,
      maxReplicas: 4,
    },
  },
];

beforeEach(async () => {
  standin = await startKubeStandin({ rolloutStepInMs: 5, namespaces: [ns] });
  await standin.apply([...portalGateway(ns, "portal", token), ...docsGateway(ns, "docs", token), ...extras]);
  cluster = new KubeGatewayCluster({ config: kubeConfigOf(standin) });
});

/** Replaces the annotations of the portal gateway's token Secret. */
async function annotateSecret(annotations: Record<string, string>): Promise<void> {
  const secret = standin.get("Secret", ns, "portal-token") as { metadata: Record<string, unknown> };
  await standin.apply([{ ...secret, metadata: { ...secret.metadata, annotations } }]);
}

afterEach(async () => {
  await standin.close();
});

describe("readLiveObjects", () => {
  it("returns the Deployment and the objects around it, with Secret values redacted", async () => {
    const { objects, live } = await readLiveObjects(target, cluster);
    const names = objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "Deployment/portal",
        "ConfigMap/portal-env",
        "Secret/portal-token",
        "Service/portal-live",
        "PodDisruptionBudget/portal-pdb",
        "HorizontalPodAutoscaler/portal-hpa",
      ]),
    );
    expect(names).not.toContain("Service/someone-else");
    expect(names).not.toContain("Secret/apim-access-token");
    expect(names.filter((n) => n.startsWith("Pod/"))).toHaveLength(2);
    expect(objects.every((o) => o.file === undefined && o.lineOf(["spec"]) === undefined)).toBe(true);

    const everything = inspect({ objects: objects.map((o) => o.object), live }, { depth: 20 });
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(gatewayKeyData(token));
    const secret = objects.find((o) => o.object.kind === "Secret")?.object as unknown as {
      data: Record<string, string>;
    };
    expect(Object.keys(secret.data)).toEqual(["value"]);

    const bundles = buildBundles(objects, { partial: false });
    expect(bundles).toHaveLength(1);
    expect(bundles[0].token).toMatchObject({
      kind: "secretKeyRef",
      secretName: "portal-token",
      key: "value",
    });
  });

  it("builds the bundle once and returns it with the live data", async () => {
    vi.mocked(buildBundles).mockClear();
    const { bundle, live, objects } = await readLiveObjects(target, cluster);
    expect(buildBundles).toHaveBeenCalledTimes(1);
    expect(bundle.live).toBe(live);
    expect(bundle.deployment.object.metadata.name).toBe("portal");
    expect(bundle.services.map((s) => s.object.metadata.name)).toEqual(["portal-live"]);
    expect(bundle.podDisruptionBudgets).toHaveLength(1);
    expect(bundle.horizontalPodAutoscalers).toHaveLength(1);
    expect(bundle.token).toMatchObject({ kind: "secretKeyRef", secretName: "portal-token", key: "value" });
    expect(objects).toEqual(expect.arrayContaining([bundle.deployment, ...bundle.secrets]));
    expect(inspect(bundle, { depth: 20 })).not.toContain(gatewayKeyData(token));
  });

  it("ignores an annotated expiry that describes another token than the one held", async () => {
    await annotateSecret({ [secretAnnotations.expiresOn]: "2027-01-01T00:00:00.000Z" });
    const { live } = await readLiveObjects(target, cluster);
    expect(live.tokenExpiresOn?.toISOString()).toBe(tokenExpiry.toISOString());
  });

  it("gives the token's hash and expiry (parsed from the token), and the pods with readiness and start times", async () => {
    const { live } = await readLiveObjects(target, cluster);
    expect(live.secretTokenSha256).toBe(sha256(token));
    expect(live.tokenExpiresOn?.toISOString()).toBe(tokenExpiry.toISOString());
    expect(live.lastRotatedAt).toBeUndefined();
    expect(live.pods).toHaveLength(2);
    for (const pod of live.pods ?? []) {
      expect(pod.ready).toBe(true);
      expect(pod.startedAt).toBeInstanceOf(Date);
    }
    expect(live.errors).toBeUndefined();
  });

  it("prefers the expiry and rotation time recorded in the Secret's annotations", async () => {
    await annotateSecret({
      [secretAnnotations.expiresOn]: "2026-03-04T05:06:30.000Z",
      [secretAnnotations.rotatedAt]: "2026-02-03T00:00:00.000Z",
      "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({
        data: { value: gatewayKeyData(token) },
      }),
    });
    const { objects, live } = await readLiveObjects(target, cluster);
    expect(live.tokenExpiresOn?.toISOString()).toBe("2026-03-04T05:06:30.000Z");
    expect(live.lastRotatedAt?.toISOString()).toBe("2026-02-03T00:00:00.000Z");
    expect(JSON.stringify(objects.map((o) => o.object))).not.toContain(gatewayKeyData(token));
  });

  it("drops a rotated-at that describes another token, and returns the token state for the engine", async () => {
    await annotateSecret({
      [secretAnnotations.expiresOn]: "2027-01-01T00:00:00.000Z",
      [secretAnnotations.rotatedAt]: "2026-02-03T00:00:00.000Z",
    });
    const read = await readLiveObjects(target, cluster);
    expect(read.live.lastRotatedAt, "a hand-edited Secret keeps stale annotations").toBeUndefined();
    expect(read.token).toEqual(await cluster.readToken(target));
    expect(liveTokenData(read.token, { token, version: "v1" })).toMatchObject({
      secretTokenSha256: sha256(token),
      vaultTokenSha256: sha256(token),
    });
    const described = {
      ...read.token!,
      annotations: {
        [secretAnnotations.vaultVersion]: "v1",
        [secretAnnotations.rotatedAt]: "2026-02-03T00:00:00.000Z",
      },
    };
    const created = new Date("2026-02-02T23:59:00Z");
    expect(liveTokenData(described, { token, version: "v1", createdOn: created })).toMatchObject({
      lastRotatedAt: new Date("2026-02-03T00:00:00.000Z"),
      tokenIssuedOn: created,
    });
    expect(liveTokenData(described, { token: "other", version: "v2" }).lastRotatedAt).toBeUndefined();
  });

  it("follows envFrom for the docs layout", async () => {
    const { live, objects } = await readLiveObjects({ ...target, deployment: "docs" }, cluster);
    expect(live.secretTokenSha256).toBe(sha256(token));
    expect(JSON.stringify(objects.map((o) => o.object))).not.toContain(gatewayKeyData(token));
  });

  it("lists what it could not read in errors instead of failing", async () => {
    standin.forbid({ verb: "list", resource: "poddisruptionbudgets" });
    const { objects, live } = await readLiveObjects(target, cluster);
    expect(objects.some((o) => o.object.kind === "PodDisruptionBudget")).toBe(false);
    expect(live.errors).toEqual([expect.stringContaining('"list poddisruptionbudgets.policy"')]);
    expect(live.secretTokenSha256).toBe(sha256(token));
  });

  it("retries a list that fails for a moment, so a transient 500 leaves no gap in the objects", async () => {
    standin.failNext({ status: 500, verb: "list", resource: "poddisruptionbudgets", count: 2 });
    const { objects, live } = await readLiveObjects(target, cluster, { retry: { delay: async () => {} } });
    expect(objects.some((o) => o.object.kind === "PodDisruptionBudget")).toBe(true);
    expect(live.errors).toBeUndefined();
  });

  it("fails with NotFoundError for a missing Deployment", async () => {
    await expect(readLiveObjects({ ...target, deployment: "absent" }, cluster)).rejects.toMatchObject({
      name: "NotFoundError",
    });
  });
});
