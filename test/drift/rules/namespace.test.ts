import { describe, expect, it } from "vitest";
import { namespaceRule } from "../../../shared/drift/rules/namespace.js";
import { gateway, one } from "./base.js";

describe("namespace", () => {
  it("passes a dedicated namespace", () => {
    expect(one(namespaceRule, gateway())).toMatchObject({
      status: "pass",
      actual: "apim",
      path: "metadata.namespace",
    });
  });

  it("fails the default namespace, pointing at the field", () => {
    const result = one(
      namespaceRule,
      gateway((p) => (p.deployment.metadata.namespace = "default")),
    );
    expect(result).toMatchObject({ status: "fail", actual: "default" });
    expect(result.line).toBeGreaterThan(0);
  });

  it("fails when no namespace is set", () => {
    const result = one(
      namespaceRule,
      gateway((p) => delete p.deployment.metadata.namespace),
    );
    expect(result).toMatchObject({ status: "fail", actual: "(unset)" });
  });

  it("reports a namespace that is not a string as text (the loader refuses it; the rule must not pass a number on)", () => {
    const bundle = gateway();
    (bundle.deployment.object.metadata as Record<string, unknown>).namespace = 5;
    const result = one(namespaceRule, bundle);
    expect(result.actual).toBe("5");
    expect(typeof result.message).toBe("string");
  });
});
