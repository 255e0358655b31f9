import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeGatewayCluster } from "../../shared/kube/cluster.js";
import { preflightPlaceholder } from "../../shared/kube/preflight.js";
import type { DeploymentTarget } from "../../shared/config/types.js";
import { startKubeStandin, type KubeStandin } from "../standins/kube/index.js";
import { fakeToken, kubeConfigOf, recordedRetry, standinTarget, threeLayouts } from "./fixtures.js";
import { failure } from "../failure.js";

const ns = "gateways";
const token = fakeToken("edge", new Date("2026-01-01T00:00:00Z"), "old-signature");

let standin: KubeStandin;
let cluster: KubeGatewayCluster;

const target = (deployment: string, namespace = ns): DeploymentTarget => standinTarget(namespace, deployment);

/** Everything the stand-in holds, to show that a pre-flight persisted nothing. */
const snapshot = () => JSON.stringify(["Secret", "Deployment", "Pod"].map((kind) => standin.list(kind, ns)));

beforeEach(async () => {
  standin = await startKubeStandin({ rolloutStepInMs: 5, namespaces: [ns] });
  await standin.apply(threeLayouts(ns, token));
  cluster = new KubeGatewayCluster({ config: kubeConfigOf(standin), retry: recordedRetry().retry });
});

afterEach(async () => {
  await standin.close();
});

describe("KubeGatewayCluster.preflight", () => {
  it.each(["portal", "helm", "docs"])(
    "passes for the %s layout with dry runs of both patches, and changes nothing",
    async (name) => {
      const before = snapshot();
      await cluster.preflight(target(name));
      const writes = standin.requests.filter((r) => r.verb === "patch");
      expect(writes.map((r) => [r.resource, r.dryRun, r.status])).toEqual([
        ["secrets", true, 200],
        ["deployments", true, 200],
      ]);
      expect(snapshot()).toBe(before);
    },
  );

  it("given the run's own read, sends only the two dry runs (no second read of the Deployment and Secret)", async () => {
    const state = await cluster.readToken(target("helm"));
    const before = standin.requests.length;
    await cluster.preflight(target("helm"), { state });
    expect(standin.requests.slice(before).map((r) => [r.verb, r.resource, r.dryRun])).toEqual([
      ["patch", "secrets", true],
      ["patch", "deployments", true],
    ]);
  });

  it("names an immutable Secret, the field, and the fix", async () => {
    const secret = standin.get("Secret", ns, "portal-token");
    await standin.apply([{ ...secret, immutable: true }]);
    const error = await failure(cluster.preflight(target("portal")));
    expect(error.name).toBe("PreflightError");
    expect(error.message).toMatch(
      /^Secret gateways\/portal-token is immutable \(.*data: Forbidden: field is immutable when `immutable` is set\).*recreate it without `immutable: true`/,
    );
    expect(error.message).not.toContain(preflightPlaceholder);
  });

  it("names the RBAC verb missing on the Secret", async () => {
    standin.forbid({ verb: "patch", resource: "secrets", namespace: ns });
    const error = await failure(cluster.preflight(target("helm")));
    expect(error.name).toBe("PreflightError");
    expect(error.message).toMatch(
      /^Secret gateways\/helm-secret: RBAC does not allow "patch secrets" in its namespace; grant it/,
    );
  });

  it("names the RBAC verb missing on the Deployment", async () => {
    standin.forbid({ verb: "patch", resource: "deployments", namespace: ns });
    const error = await failure(cluster.preflight(target("docs")));
    expect(error.name).toBe("PreflightError");
    expect(error.message).toMatch(/^Deployment gateways\/docs: RBAC does not allow "patch deployments.apps"/);
  });

  it("says when the namespace does not exist, and when only the Deployment is missing", async () => {
    const wrongNamespace = await failure(cluster.preflight(target("portal", "gateway")));
    expect(wrongNamespace.name).toBe("PreflightError");
    expect(wrongNamespace.message).toMatch(
      /^Deployment gateway\/portal: namespace not found \(namespace "gateway" does not exist\)/,
    );
    const missing = await failure(cluster.preflight(target("absent")));
    expect(missing.message).toMatch(/^Deployment gateways\/absent: not found; fix the deployment's name/);
    expect(standin.requests.some((r) => r.verb === "patch")).toBe(false);
  });

  it("refuses a paused Deployment and a missing Secret before any dry run", async () => {
    const deployment = standin.get("Deployment", ns, "docs") as { spec: Record<string, unknown> };
    await standin.apply([{ ...deployment, spec: { ...deployment.spec, paused: true } }]);
    const paused = await failure(cluster.preflight(target("docs")));
    expect(paused.name).toBe("PreflightError");
    expect(paused.message).toMatch(/paused.*kubectl rollout resume deployment\/docs -n gateways/);
    standin.delete("Secret", ns, "helm-secret");
    const noSecret = await failure(cluster.preflight(target("helm")));
    expect(noSecret.name).toBe("PreflightError");
    expect(noSecret.message).toContain("helm-secret");
    expect(standin.requests.some((r) => r.verb === "patch")).toBe(false);
  });

  it("names an admission refusal, and passes a transient failure through after its retries", async () => {
    standin.failNext({
      status: 422,
      verb: "patch",
      resource: "deployments",
      message: 'admission webhook "policy.example.com" denied the request: restarts are frozen',
    });
    const refused = await failure(cluster.preflight(target("portal")));
    expect(refused.name).toBe("PreflightError");
    expect(refused.message).toMatch(
      /^Deployment gateways\/portal: the API server refused the change \(HTTP 422: admission webhook .* restarts are frozen\)/,
    );
    standin.failNext({ status: 503, verb: "patch", resource: "secrets", count: 100 });
    const unavailable = await failure(cluster.preflight(target("portal")));
    expect(unavailable.name).toBe("Error");
    expect(unavailable.message).toMatch(/HTTP 503/);
  });
});
