import { describe, expect, it } from "vitest";
import { podsHaveCurrentTokenRule } from "../../../shared/drift/rules/pods-have-current-token.js";
import { startedBeforeRotation } from "../../../shared/drift/rules/live.js";
import { tokenExpiryRule } from "../../../shared/drift/rules/token-expiry.js";
import { tokenInSyncRule } from "../../../shared/drift/rules/token-in-sync.js";
import { container, gateway, one } from "./base.js";

describe("live rules on a manifest", () => {
  it.each([tokenExpiryRule, tokenInSyncRule, podsHaveCurrentTokenRule])(
    "$id is unknown without live data",
    (rule) => {
      const result = one(rule, gateway());
      expect(result).toMatchObject({
        status: "unknown",
        message: "needs a live check: gateway-guard check --config",
      });
      expect(result.path).toBe('Secret/apim/gw-token:data["value"]');
      expect(result.line).toBeGreaterThan(0);
    },
  );

  it.each([tokenExpiryRule, tokenInSyncRule, podsHaveCurrentTokenRule])(
    "$id passes with Entra ID auth",
    (rule) => {
      const bundle = gateway((p) => {
        container(p).env = [];
        p.configMap.data["config.service.auth"] = "workloadIdentity";
      });
      expect(one(rule, bundle).status).toBe("pass");
    },
  );

  it.each([tokenExpiryRule, tokenInSyncRule, podsHaveCurrentTokenRule])(
    "$id is unknown when the live check could not read its data",
    (rule) => {
      const result = one(rule, gateway(undefined, { partial: false, live: { errors: ["Key Vault: 403"] } }));
      expect(result.status).toBe("unknown");
      if (rule !== podsHaveCurrentTokenRule) expect(result.message).toContain("Key Vault: 403");
    },
  );
});

describe("startedBeforeRotation", () => {
  const rotatedAt = new Date("2026-03-01T03:00:00.999Z");
  it("compares whole seconds (pod start times have no milliseconds)", () => {
    expect(startedBeforeRotation(new Date("2026-03-01T03:00:00Z"), rotatedAt)).toBe(false);
    expect(startedBeforeRotation(new Date("2026-03-01T03:00:01Z"), rotatedAt)).toBe(false);
    expect(startedBeforeRotation(new Date("2026-03-01T02:59:59Z"), rotatedAt)).toBe(true);
  });
});
