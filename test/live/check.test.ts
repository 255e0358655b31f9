import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as bundleModule from "../../shared/gateway/bundle.js";
import { buildBundles } from "../../shared/gateway/bundle.js";
import type { GuardConfig } from "../../shared/config/types.js";
import { checkLive } from "../../shared/live/check.js";
import { formatResult } from "../../shared/drift/format/index.js";
import { rules } from "../../shared/drift/rules/index.js";
import type { CheckResult, Finding } from "../../shared/drift/types.js";
import { rotateGateway } from "../../shared/rotation/rotate.js";
import { secretAnnotations } from "../../shared/rotation/types.js";
import type { Adapters } from "../../shared/compose/adapters.js";
import { startFleet, type Fleet } from "../standins/fleet.js";
import { expectNoToken } from "../cli/capture.js";

vi.mock("../../shared/gateway/bundle.js", async (importOriginal) => {
  const actual = await importOriginal<typeof bundleModule>();
  return { ...actual, buildBundles: vi.fn(actual.buildBundles) };
});

let fleet: Fleet;
let config: GuardConfig;
let adapters: Adapters;

beforeAll(async () => {
  fleet = await startFleet();
  config = await fleet.loadConfig();
  adapters = await fleet.connect()(config);
  const orders = config.gateways[0];
  const outcome = await rotateGateway(orders, adapters.rotationDeps(orders));
  expect(outcome.status).toBe("rotated");
});

afterAll(async () => {
  await fleet?.stop();
});

function finding(result: CheckResult, target: string, rule: string): Finding {
  const report = result.reports.find((r) => r.target.startsWith(target));
  const found = report?.findings.find((f) => f.rule === rule);
  if (!found) throw new Error(`no ${rule} finding for ${target}`);
  return found;
}

const eastOrders = "Deployment/apim-gateway/orders-gateway (cluster aks-east, gateway orders)";
const westOrders = "Deployment/apim-gateway/orders-gateway (cluster aks-west, gateway orders)";

describe("checkLive", () => {
  it("checks every deployment as it runs; after a rotation the token rules pass", async () => {
    vi.mocked(buildBundles).mockClear();
    const result = await checkLive(config, adapters.live);
    expect(buildBundles, "one bundle per deployment").toHaveBeenCalledTimes(3);
    expect(result.reports.map((r) => r.target)).toEqual([
      eastOrders,
      westOrders,
      "Deployment/payments/payments-gateway (cluster aks-east, gateway payments)",
    ]);
    for (const target of [eastOrders, westOrders]) {
      for (const rule of ["token-in-sync", "pods-have-current-token", "token-from-secret"]) {
        expect(finding(result, target, rule).status, `${rule} on ${target}`).toBe("pass");
      }
      const expiry = result.reports
        .find((r) => r.target === target)
        ?.findings.filter((f) => f.rule === "token-expiry")
        .map((f) => f.status);
      expect(expiry).toEqual(["pass", "pass"]);
    }
    expect(finding(result, eastOrders, "sync-ports").status).toBe("pass");
    expect(finding(result, eastOrders, "disruption-budget").status).toBe("pass");
    const json = await formatResult("json", result, { rules, toolVersion: "test" });
    expectNoToken(json, fleet.tokens());
  });

  it("fails token-in-sync when a Secret is changed behind gateway-guard's back", async () => {
    const west = fleet.gateways[0].deployments[1];
    const original = fleet.secretToken(west);
    if (!original) throw new Error("no token in the Secret");
    await fleet.tamperSecret(west, "orders-gw&203001010000&aGFuZC1tYWRlIHRva2Vu");
    try {
      const result = await checkLive(config, adapters.live, { gateways: ["orders"] });
      expect(finding(result, westOrders, "token-in-sync").status).toBe("fail");
      expect(finding(result, eastOrders, "token-in-sync").status).toBe("pass");
      expectNoToken(await formatResult("json", result, { rules, toolVersion: "test" }), fleet.tokens());
    } finally {
      await fleet.tamperSecret(west, original);
    }
  });

  it("fails pods-have-current-token when a Secret was rotated but the pods were not restarted", async () => {
    const [east] = config.gateways[0].deployments;
    const cluster = adapters.cluster(east.cluster);
    const state = await cluster.readToken(east);
    if (!state.token) throw new Error("no token in the Secret");
    const standin = fleet.gateways[0].deployments[0].standin;
    const started = standin.list("Pod", east.namespace).map((p) => Date.parse(String(p.status?.startTime)));
    const rotatedAt = new Date(Math.max(...started) + 1000);
    await cluster.writeToken(east, state.token, {
      resourceVersion: state.resourceVersion,
      annotations: { [secretAnnotations.rotatedAt]: rotatedAt.toISOString() },
    });
    const result = await checkLive(config, adapters.live, { gateways: ["orders"] });
    const pods = finding(result, eastOrders, "pods-have-current-token");
    expect(pods.status).toBe("fail");
    expect(pods.actual).toMatch(/^3 of 3 ready pods started before the rotation/);
    expect(finding(result, westOrders, "pods-have-current-token").status).toBe("pass");
  });

  it("reports token-in-sync unknown, with the reason, when Key Vault cannot be read", async () => {
    fleet.keyVault.failNext({ status: 403, path: "/secrets/payments-gateway-token" });
    const result = await checkLive(config, adapters.live, { gateways: ["payments"] });
    const inSync = finding(result, "Deployment/payments/payments-gateway", "token-in-sync");
    expect(inSync.status).toBe("unknown");
    expect(inSync.message).toContain("Key Vault");
    expect(inSync.message).toContain("getSecret");
  });

  it("rejects a gateway that is not configured", async () => {
    await expect(checkLive(config, adapters.live, { gateways: ["nope"] })).rejects.toMatchObject({
      name: "NotFoundError",
    });
  });
});
