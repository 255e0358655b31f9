import { describe, expect, it } from "vitest";
import { imageTagPinnedRule } from "../../../shared/drift/rules/image-tag-pinned.js";
import { container, gateway, one } from "./base.js";

const withImage = (image: string) => gateway((p) => (container(p).image = image));
const digest = "sha256:" + "a".repeat(64);

describe("image-tag-pinned", () => {
  it.each([
    "mcr.microsoft.com/azure-api-management/gateway:2.9.2",
    "mcr.microsoft.com/azure-api-management/gateway:v2.9.2",
    "myregistry.azurecr.io/mirror/azure-api-management/gateway:2.10.0",
    "registry.local:5000/azure-api-management/gateway:2.9.2",
    `mcr.microsoft.com/azure-api-management/gateway@${digest}`,
    `mcr.microsoft.com/azure-api-management/gateway:v2@${digest}`,
    `registry.local:5000/azure-api-management/gateway@${digest}`,
  ])("passes %s", (image) => {
    expect(one(imageTagPinnedRule, withImage(image))).toMatchObject({ status: "pass", actual: image });
  });

  it.each(["latest", "v2", "v2-preview", "beta", "2", "2.9"])("fails the floating tag %s", (tag) => {
    const result = one(
      imageTagPinnedRule,
      withImage(`mcr.microsoft.com/azure-api-management/gateway:${tag}`),
    );
    expect(result).toMatchObject({ status: "fail", path: "spec.template.spec.containers[0].image" });
    expect(result.message).toContain(tag);
    expect(result.line).toBeGreaterThan(0);
  });

  it("fails a missing tag, also behind a registry with a port", () => {
    for (const image of [
      "mcr.microsoft.com/azure-api-management/gateway",
      "registry.local:5000/azure-api-management/gateway",
    ]) {
      const result = one(imageTagPinnedRule, withImage(image));
      expect(result.status, image).toBe("fail");
      expect(result.message).toContain("No tag");
    }
  });
});
