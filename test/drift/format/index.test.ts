import { beforeEach, describe, expect, it, vi } from "vitest";
import { sampleResult } from "./sample.js";

const names = ["table", "json", "sarif", "junit", "markdown", "html"] as const;
const loaded: string[] = [];

beforeEach(() => {
  loaded.length = 0;
  vi.resetModules();
  for (const name of names) {
    vi.doMock(`../../../shared/drift/format/${name}.js`, async (importOriginal) => {
      loaded.push(name);
      return importOriginal();
    });
  }
});

describe("the format registry", () => {
  it("loads no formatter until one is chosen, then only that one", async () => {
    const registry = await import("../../../shared/drift/format/index.js");
    expect(registry.formatNames).toEqual([...names]);
    expect(loaded).toEqual([]);
    const text = await registry.formatResult("sarif", sampleResult, { toolVersion: "1.0.0" });
    expect(JSON.parse(text).version).toBe("2.1.0");
    expect(loaded).toEqual(["sarif"]);
  });

  it("loads only the chosen formatter on the CLI check path", async () => {
    const { runMain } = await import("../../cli/harness.js");
    const run = await runMain(["check", "--format", "markdown"]);
    expect(run.stdout).toContain("replicas");
    expect(loaded).toEqual(["markdown"]);
  });

  it("gives each format a content type and an extension", async () => {
    const { contentTypeOf, formats, isFormatName } = await import("../../../shared/drift/format/index.js");
    expect(contentTypeOf("sarif")).toBe("application/sarif+json; charset=utf-8");
    expect(contentTypeOf("junit")).toBe("application/xml; charset=utf-8");
    expect(formats.html.extension).toBe("html");
    expect(isFormatName("html")).toBe(true);
    expect(isFormatName("toString")).toBe(false);
  });
});
