import { describe, expect, it } from "vitest";
import { syncPortsRule } from "../../../shared/drift/rules/sync-ports.js";
import { container, gateway, hpa, run } from "./base.js";

describe("sync-ports", () => {
  it("passes UDP 4290/4291 and a headless Service named by neighborhood.host", () => {
    const [ports, service] = run(syncPortsRule, gateway());
    expect(ports).toMatchObject({ status: "pass", path: "spec.template.spec.containers[0].ports" });
    expect(service).toMatchObject({
      status: "pass",
      path: "Service/apim/gw-instance-discovery:spec.clusterIP",
    });
    expect(service.line).toBeGreaterThan(0);
  });

  it("accepts a fully qualified neighborhood.host", () => {
    const bundle = gateway(
      (p) => (p.configMap.data["neighborhood.host"] = "gw-instance-discovery.apim.svc.cluster.local"),
    );
    expect(run(syncPortsRule, bundle)[1].status).toBe("pass");
  });

  it("is not needed with a single replica", () => {
    const results = run(
      syncPortsRule,
      gateway((p) => {
        p.deployment.spec.replicas = 1;
        container(p).ports = [];
      }),
    );
    expect(results.map((r) => r.status)).toEqual(["pass"]);
  });

  it("is needed when an HPA may scale a single replica up", () => {
    const results = run(
      syncPortsRule,
      gateway((p) => {
        p.deployment.spec.replicas = 1;
        container(p).ports = [{ name: "http", containerPort: 8080 }];
        p.extra.push(hpa(1, 5));
      }),
    );
    expect(results[0].status).toBe("fail");
  });

  it("fails ports that are missing or TCP", () => {
    const [ports] = run(
      syncPortsRule,
      gateway((p) => {
        container(p).ports = [{ containerPort: 4290, protocol: "UDP" }, { containerPort: 4291 }];
      }),
    );
    expect(ports).toMatchObject({ status: "fail", actual: "missing 4291/UDP" });
  });

  it("fails a missing neighborhood.host", () => {
    const [, service] = run(
      syncPortsRule,
      gateway((p) => delete p.configMap.data["neighborhood.host"]),
    );
    expect(service).toMatchObject({ status: "fail", actual: "neighborhood.host not set" });
  });

  it("fails a discovery Service that is not headless", () => {
    const [, service] = run(
      syncPortsRule,
      gateway((p) => delete p.service.spec.clusterIP),
    );
    expect(service.status).toBe("fail");
    expect(service.message).toContain("not headless");
  });

  it("is unknown on a manifest without the Service or the ConfigMap, and fails live", () => {
    expect(
      run(
        syncPortsRule,
        gateway((p) => delete p.service),
      )[1].status,
    ).toBe("unknown");
    expect(
      run(
        syncPortsRule,
        gateway((p) => delete p.configMap),
      )[1].status,
    ).toBe("unknown");
    expect(
      run(
        syncPortsRule,
        gateway((p) => delete p.service, { partial: false }),
      )[1].status,
    ).toBe("fail");
  });
});
