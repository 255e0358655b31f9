import { describe, expect, it } from "vitest";
import { isLoopback } from "../../shared/compose/adapters.js";

describe("isLoopback (the only vaults whose challenge resource is not verified)", () => {
  it("accepts loopback hosts only", () => {
    for (const url of [
      "https://127.0.0.1:8443",
      "https://localhost:1234/",
      "https://127.10.0.3",
      "https://[::1]:9000",
    ]) {
      expect(isLoopback(url), url).toBe(true);
    }
    for (const url of [
      "https://contoso.vault.azure.net",
      "https://127.0.0.1.nip.io",
      "https://localhost.contoso.com",
      "https://10.0.0.1",
      "not a url",
    ]) {
      expect(isLoopback(url), url).toBe(false);
    }
  });
});
