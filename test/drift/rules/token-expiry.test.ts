import { describe, expect, it } from "vitest";
import { tokenExpiryRule } from "../../../shared/drift/rules/token-expiry.js";
import type { LiveData } from "../../../shared/drift/types.js";
import { expiresIn } from "../../../shared/cli/connect.js";
import { gateway, run } from "./base.js";

const now = new Date("2026-03-01T00:00:00Z");
const days = (n: number) => new Date(now.getTime() + n * 24 * 60 * 60 * 1000);
const check = (live: LiveData, settings: Record<string, unknown> = {}) =>
  run(tokenExpiryRule, gateway(undefined, { partial: false, live }), settings, now);

describe("token-expiry", () => {
  it("passes a token with more than 7 days left", () => {
    expect(check({ tokenExpiresOn: days(20) }).map((r) => r.status)).toEqual(["pass"]);
  });

  it("writes the days left as status does (one decimal)", () => {
    const [result] = check({ tokenExpiresOn: days(28.96) });
    expect(result.message).toBe(`The token expires ${expiresIn(28.96)}.`);
    expect(result.message).toBe("The token expires in 29.0 days.");
  });

  it("fails a token with 7 days or less left", () => {
    const [result] = check({ tokenExpiresOn: days(6.5) });
    expect(result.status).toBe("fail");
    expect(result.message).toContain("6.5 days");
    expect(check({ tokenExpiresOn: days(7) })[0].status).toBe("fail");
  });

  it("judges the exact time left, not the rounded figure: 7 days and an hour is more than 7", () => {
    expect(check({ tokenExpiresOn: days(7 + 1 / 24) })[0].status).toBe("pass");
    const [result] = check({ tokenExpiresOn: days(7 - 1 / 24) });
    expect(result.status).toBe("fail");
    expect(result.message).toContain("7.0 days");
  });

  it("tells an hour left from expired", () => {
    const [result] = check({ tokenExpiresOn: days(1 / 48) });
    expect(result.status).toBe("fail");
    expect(result.message).not.toContain("expired");
  });

  it("fails an expired token", () => {
    const [result] = check({ tokenExpiresOn: days(-1) });
    expect(result.status).toBe("fail");
    expect(result.message).toContain("expired");
  });

  it("checks the lifetime when the issue date is known", () => {
    expect(check({ tokenExpiresOn: days(20), tokenIssuedOn: days(-9) }).map((r) => r.status)).toEqual([
      "pass",
      "pass",
    ]);
    const [, lifetime] = check({ tokenExpiresOn: days(20), tokenIssuedOn: days(-40) });
    expect(lifetime.status).toBe("fail");
    expect(lifetime.message).toContain("60.0 days");
  });

  it("takes thresholds from the baseline", () => {
    expect(check({ tokenExpiresOn: days(10) }, { minDaysLeft: 14 })[0].status).toBe("fail");
    expect(
      check({ tokenExpiresOn: days(20), tokenIssuedOn: days(-40) }, { maxLifetimeInDays: 90 })[1].status,
    ).toBe("pass");
  });
});
