import { describe, expect, it } from "vitest";
import { tokenInSyncRule } from "../../../shared/drift/rules/token-in-sync.js";
import type { LiveData } from "../../../shared/drift/types.js";
import { gateway, one } from "./base.js";

const a = "a".repeat(64);
const b = "b".repeat(64);
const check = (live: LiveData) => one(tokenInSyncRule, gateway(undefined, { partial: false, live }));

describe("token-in-sync", () => {
  it("passes equal hashes", () => {
    expect(check({ secretTokenSha256: a, vaultTokenSha256: a.toUpperCase() }).status).toBe("pass");
  });

  it("fails different hashes, showing only their start", () => {
    const result = check({ secretTokenSha256: a, vaultTokenSha256: b });
    expect(result.status).toBe("fail");
    expect(result.actual).toContain("sha256:aaaaaaaa…");
    expect(result.actual).not.toContain(a);
  });

  it("is unknown when one side could not be read", () => {
    const result = check({ secretTokenSha256: a, errors: ["Key Vault: 403 Forbidden"] });
    expect(result.status).toBe("unknown");
    expect(result.message).toContain("Key Vault: 403 Forbidden");
  });
});
