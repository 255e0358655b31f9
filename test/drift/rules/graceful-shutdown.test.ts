import { describe, expect, it } from "vitest";
import { gracefulShutdownRule } from "../../../shared/drift/rules/graceful-shutdown.js";
import { gateway, one, pod } from "./base.js";

const withGrace = (seconds: number) => gateway((p) => (pod(p).terminationGracePeriodSeconds = seconds));

describe("graceful-shutdown", () => {
  it("passes 60 seconds and more", () => {
    expect(one(gracefulShutdownRule, withGrace(60)).status).toBe("pass");
    expect(one(gracefulShutdownRule, withGrace(120)).status).toBe("pass");
  });

  it("fails less than 60", () => {
    expect(one(gracefulShutdownRule, withGrace(59))).toMatchObject({
      status: "fail",
      actual: "59",
      path: "spec.template.spec.terminationGracePeriodSeconds",
    });
  });

  it("fails the unset default of 30", () => {
    expect(
      one(
        gracefulShutdownRule,
        gateway((p) => delete pod(p).terminationGracePeriodSeconds),
      ),
    ).toMatchObject({ status: "fail", actual: "(unset: defaults to 30)" });
  });

  it("takes the minimum from the baseline", () => {
    expect(one(gracefulShutdownRule, withGrace(60), { minSeconds: 90 }).status).toBe("fail");
  });
});
