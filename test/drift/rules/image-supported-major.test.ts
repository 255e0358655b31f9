import { describe, expect, it } from "vitest";
import { imageSupportedMajorRule } from "../../../shared/drift/rules/image-supported-major.js";
import { container, gateway, one } from "./base.js";

const withTag = (reference: string) =>
  gateway((p) => (container(p).image = `mcr.microsoft.com/azure-api-management/gateway${reference}`));

describe("image-supported-major", () => {
  it.each([":2.9.2", ":v2", ":v2-preview", ":2", ":3.0.0", ":v2.1.0"])("passes %s", (reference) => {
    expect(one(imageSupportedMajorRule, withTag(reference)).status).toBe("pass");
  });

  it.each([":1.1.0", ":v1", ":0.9.0", ":v0", ":1.2.5-preview"])("fails the unsupported %s", (reference) => {
    const result = one(imageSupportedMajorRule, withTag(reference));
    expect(result).toMatchObject({ status: "fail", path: "spec.template.spec.containers[0].image" });
    expect(result.message).toContain("unsupported");
  });

  it("reads the tag behind a registry with a port", () => {
    const bundle = gateway(
      (p) => (container(p).image = "registry.local:5000/azure-api-management/gateway:1.1.0"),
    );
    expect(one(imageSupportedMajorRule, bundle).status).toBe("fail");
  });

  it.each(["", ":latest", ":beta", `@sha256:${"b".repeat(64)}`])(
    "cannot tell the major of %j",
    (reference) => {
      expect(one(imageSupportedMajorRule, withTag(reference)).status).toBe("unknown");
    },
  );

  it("takes the minimum major from the baseline", () => {
    expect(one(imageSupportedMajorRule, withTag(":2.9.2"), { minMajor: 3 }).status).toBe("fail");
  });
});
