import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HttpRequest } from "@azure/functions";
import { driftCheck } from "../../functions/driftCheck.cjs";
import { useAppServices } from "../../shared/app/services.js";
import { negotiateFormat } from "../../shared/app/driftHttp.js";
import type { GatewayConfig } from "../../shared/config/types.js";
import type { CheckResult } from "../../shared/drift/types.js";
import { captureContext, testServices } from "./helpers.js";

let restore: (() => void) | undefined;
afterEach(() => restore?.());

const portal = readFileSync(
  join(import.meta.dirname, "..", "fixtures", "upstream", "portal-generated-v2.yaml"),
  "utf8",
);

function liveResult(gateways: GatewayConfig[]): CheckResult {
  return {
    reports: gateways.map((g) => ({
      target: `Deployment/gateways/${g.name}`,
      baseline: "default",
      checkedAt: "2026-11-26T10:00:00.000Z",
      summary: { pass: 1, fail: 1, unknown: 0, exempt: 0, bySeverity: { error: 1, warning: 0, info: 0 } },
      findings: [
        {
          rule: "token-expiry",
          severity: "error",
          status: "fail",
          object: `Deployment/gateways/${g.name}`,
          path: "data.value",
          expected: "more than 7 days left",
          actual: "2 days left",
          message: "the gateway token expires in 2 days",
          remediation: "gateway-guard rotate",
          source: "rotation",
        },
      ],
    })),
  };
}

async function setUp() {
  const checked: string[][] = [];
  const { services } = await testServices({
    checkLive: async (gateways) => {
      checked.push(gateways.map((g) => g.name));
      return liveResult(gateways);
    },
  });
  restore = useAppServices(services);
  return { checked };
}

function request(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string; gateway?: string } = {},
) {
  return new HttpRequest({
    method,
    url: `http://localhost:7071/api/${path}`,
    headers: init.headers,
    params: init.gateway ? { gateway: init.gateway } : {},
    body: init.body === undefined ? undefined : { string: init.body },
  });
}

async function call(req: HttpRequest) {
  const { context, log } = captureContext("driftCheck");
  const response = await driftCheck(req, context);
  return { response, log, headers: (response.headers ?? {}) as Record<string, string> };
}

describe("driftCheck", () => {
  it("GET /api/drift checks every configured gateway live, JSON by default", async () => {
    const { checked } = await setUp();
    const { response, headers } = await call(request("GET", "drift"));
    expect(response.status).toBe(200);
    expect(headers["Content-Type"]).toMatch(/^application\/json/);
    expect(checked).toEqual([["contoso-eu", "contoso-us"]]);
    expect(JSON.parse(response.body as string).reports).toHaveLength(2);
  });

  it("GET /api/drift/{gateway} checks one gateway; an unknown one is 404", async () => {
    const { checked } = await setUp();
    expect((await call(request("GET", "drift/contoso-us", { gateway: "contoso-us" }))).response.status).toBe(
      200,
    );
    expect(checked).toEqual([["contoso-us"]]);
    const missing = await call(request("GET", "drift/nope", { gateway: "nope" }));
    expect(missing.response.status).toBe(404);
    expect((missing.response.jsonBody as { message: string }).message).toContain(
      'gateway "nope" is not configured',
    );
  });

  it.each([
    [
      "?format=sarif",
      {},
      "sarif",
      /^application\/sarif\+json/,
      (body: string) => expect(JSON.parse(body).version).toBe("2.1.0"),
    ],
    [
      "?format=markdown",
      {},
      "markdown",
      /^text\/markdown/,
      (body: string) => expect(body).toContain("token-expiry"),
    ],
    [
      "Accept: text/html",
      { accept: "text/html,application/xhtml+xml;q=0.9" },
      undefined,
      /^text\/html/,
      (body: string) => expect(body).toMatch(/<html[\s>]/i),
    ],
    [
      "Accept: application/sarif+json",
      { accept: "application/sarif+json" },
      undefined,
      /^application\/sarif\+json/,
      (body: string) => expect(JSON.parse(body).runs).toHaveLength(1),
    ],
  ])("serves %s", async (_what, headers, format, contentType, check) => {
    await setUp();
    const { response, headers: out } = await call(
      request("GET", `drift/contoso-eu${format ? `?format=${format}` : ""}`, {
        headers,
        gateway: "contoso-eu",
      }),
    );
    expect(response.status).toBe(200);
    expect(out["Content-Type"]).toMatch(contentType);
    check(response.body as string);
  });

  it("answers 400 for an unknown format", async () => {
    await setUp();
    const { response } = await call(request("GET", "drift?format=pdf"));
    expect(response.status).toBe(400);
    expect((response.jsonBody as { message: string }).message).toMatch(
      /unknown format "pdf"; expected one of json, sarif, markdown, html/,
    );
  });

  it("POST /api/drift checks a manifest from the body (the portal's YAML fails replicas)", async () => {
    const { checked } = await setUp();
    const { response } = await call(
      request("POST", "drift", { body: portal, headers: { "content-type": "application/yaml" } }),
    );
    expect(response.status).toBe(200);
    expect(checked).toEqual([]);
    const result = JSON.parse(response.body as string) as CheckResult;
    expect(result.reports.length).toBeGreaterThan(0);
    expect(result.reports[0]!.findings).toContainEqual(
      expect.objectContaining({ rule: "replicas", status: "fail" }),
    );
  });

  it.each([
    ["unreadable YAML", "kind: [unclosed", /manifest/],
    [
      "no gateway Deployment",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
      /No gateway Deployment/,
    ],
    ["an empty body", "", /body is empty/],
    [
      "pod labels that are a mapping (`{app: {toString: 1}}`)",
      portal.replace(/^( {8})app: selfhost$/m, "$1app: {toString: 1}"),
      /^manifest:\d+: Deployment: expected `spec.template.metadata.labels` "app" to be a string, found a mapping\.$/,
    ],
  ])("answers 400 for %s", async (_what, body, message) => {
    await setUp();
    const { response } = await call(request("POST", "drift", { body }));
    expect(response.status).toBe(400);
    expect((response.jsonBody as { message: string }).message).toMatch(message);
  });

  it("answers 413 for a manifest over 5 MB and 400 for a POST naming a gateway", async () => {
    await setUp();
    expect(
      (
        await call(
          request("POST", "drift", { body: "x", headers: { "content-length": String(6 * 1024 * 1024) } }),
        )
      ).response.status,
    ).toBe(413);
    expect(
      (await call(request("POST", "drift/contoso-eu", { body: portal, gateway: "contoso-eu" }))).response
        .status,
    ).toBe(400);
  });
});

describe("negotiateFormat", () => {
  it("prefers ?format=, then the highest-quality Accept type served, then JSON", () => {
    expect(negotiateFormat("HTML", "application/json")).toBe("html");
    expect(negotiateFormat(undefined, "text/markdown;q=0.5, text/html;q=0.8")).toBe("html");
    expect(negotiateFormat(undefined, "image/png, */*")).toBe("json");
    expect(negotiateFormat(null, null)).toBe("json");
  });
});
