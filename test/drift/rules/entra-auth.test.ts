import { describe, expect, it } from "vitest";
import { entraAuthRule } from "../../../shared/drift/rules/entra-auth.js";
import { container, gateway, one } from "./base.js";

const withMode = (mode: string) =>
  gateway((p) => {
    container(p).env = [];
    p.configMap.data["config.service.auth"] = mode;
  });

describe("entra-auth", () => {
  it.each(["workloadIdentity", "azureAdApp"])("passes %s", (mode) => {
    const result = one(entraAuthRule, withMode(mode));
    expect(result).toMatchObject({ status: "pass", actual: mode });
    expect(result.message).toContain("no token to rotate");
  });

  it("passes token mode with a note on the alternative", () => {
    const result = one(entraAuthRule, gateway());
    expect(result).toMatchObject({ status: "pass", actual: "gateway token" });
    expect(result.message).toContain("workloadIdentity");
  });

  it("never shows a literal token", () => {
    const token = "GatewayKey gw&202603010000&c2VjcmV0";
    const result = one(
      entraAuthRule,
      gateway((p) => (container(p).env = [{ name: "config.service.auth", value: token }])),
    );
    expect(JSON.stringify(result)).not.toContain("c2VjcmV0");
  });
});
