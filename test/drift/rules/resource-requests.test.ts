import { describe, expect, it } from "vitest";
import { resourceRequestsRule } from "../../../shared/drift/rules/resource-requests.js";
import { container, gateway, run, type Doc } from "./base.js";

const withResources = (resources: Doc) => gateway((p) => (container(p).resources = resources));
const statuses = (resources: Doc, settings?: Record<string, unknown>) =>
  run(resourceRequestsRule, withResources(resources), settings).map((r) => r.status);

describe("resource-requests", () => {
  it.each([
    ["2", "2Gi"],
    ["2000m", "2048Mi"],
    [2, "2Gi"],
    ["4", "4Gi"],
    ["2.5", "3G"],
  ])("passes cpu %j and memory %j", (cpu, memory) => {
    expect(statuses({ requests: { cpu, memory } })).toEqual(["pass", "pass"]);
  });

  it("reports cpu and memory separately, with paths into the gateway container", () => {
    const [cpu, memory] = run(
      resourceRequestsRule,
      withResources({ requests: { cpu: "500m", memory: "2Gi" } }),
    );
    expect(cpu).toMatchObject({
      status: "fail",
      path: "spec.template.spec.containers[0].resources.requests.cpu",
      actual: "500m",
    });
    expect(memory).toMatchObject({
      status: "pass",
      path: "spec.template.spec.containers[0].resources.requests.memory",
    });
    expect(cpu.line).toBeGreaterThan(0);
  });

  it("fails 1999m and 2047Mi (just below)", () => {
    expect(statuses({ requests: { cpu: "1999m", memory: "2047Mi" } })).toEqual(["fail", "fail"]);
  });

  it("fails 2G of memory: 2G is less than 2Gi", () => {
    expect(statuses({ requests: { cpu: "2", memory: "2G" } })).toEqual(["pass", "fail"]);
  });

  it("fails missing requests", () => {
    const results = run(
      resourceRequestsRule,
      gateway((p) => delete container(p).resources),
    );
    expect(results.map((r) => [r.status, r.actual])).toEqual([
      ["fail", "(unset)"],
      ["fail", "(unset)"],
    ]);
  });

  it("uses the limits when requests are missing, as Kubernetes does", () => {
    const [cpu] = run(resourceRequestsRule, withResources({ limits: { cpu: "2", memory: "2Gi" } }));
    expect(cpu.status).toBe("pass");
    expect(cpu.actual).toContain("defaults to the limit");
  });

  it("fails a value that is not a quantity", () => {
    const [cpu] = run(resourceRequestsRule, withResources({ requests: { cpu: "two", memory: "2Gi" } }));
    expect(cpu).toMatchObject({ status: "fail", actual: "two" });
  });

  it("takes thresholds from the baseline", () => {
    expect(statuses({ requests: { cpu: "1", memory: "1Gi" } }, { cpu: "1", memory: "1024Mi" })).toEqual([
      "pass",
      "pass",
    ]);
  });

  it("checks the gateway container, not a sidecar before it", () => {
    const bundle = gateway((p) => {
      p.deployment.spec.template.spec.containers.unshift({
        name: "sidecar",
        image: "busybox:1.36",
        resources: { requests: { cpu: "10m" } },
      });
    });
    const [cpu] = run(resourceRequestsRule, bundle);
    expect(cpu).toMatchObject({
      status: "pass",
      path: "spec.template.spec.containers[1].resources.requests.cpu",
    });
  });
});
