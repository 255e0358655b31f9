import { describe, expect, it } from "vitest";
import { readinessProbeRule } from "../../../shared/drift/rules/readiness-probe.js";
import { container, gateway, one } from "./base.js";

const withPath = (path: string) => gateway((p) => (container(p).readinessProbe.httpGet.path = path));

describe("readiness-probe", () => {
  it.each(["/status-0123456789abcdef", "/internal-status-0123456789abcdef"])("passes %s", (path) => {
    expect(one(readinessProbeRule, withPath(path))).toMatchObject({
      status: "pass",
      actual: path,
      path: "spec.template.spec.containers[0].readinessProbe.httpGet.path",
    });
  });

  it("fails another path", () => {
    expect(one(readinessProbeRule, withPath("/healthz"))).toMatchObject({
      status: "fail",
      actual: "/healthz",
    });
  });

  it("fails a missing probe", () => {
    const result = one(
      readinessProbeRule,
      gateway((p) => delete container(p).readinessProbe),
    );
    expect(result).toMatchObject({ status: "fail", path: "spec.template.spec.containers[0].readinessProbe" });
  });

  it("fails a tcpSocket probe", () => {
    expect(
      one(
        readinessProbeRule,
        gateway((p) => (container(p).readinessProbe = { tcpSocket: { port: 8080 } })),
      ).actual,
    ).toBe("not an httpGet probe");
  });
});
