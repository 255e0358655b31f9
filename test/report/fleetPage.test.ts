/**
 * The fleet page in a real headless Chromium: rendered by `gateway-guard status --all --format html
 * --output FILE` over the stand-ins (real SDK clients), with gateways in every state: expired,
 * under 2 days, unreadable, under renew-before (orders) and fresh (payments). Screenshots go to a temporary directory
 * (`$TMPDIR/gateway-guard-fleet-page/`), never into the repository.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWith as status } from "../../shared/cli/commands/status.js";
import { defaultFleetGateways, startFleet, type Fleet } from "../standins/fleet.js";
import { captureIO, expectNoToken } from "../cli/capture.js";
import { launchBrowser, type TestBrowser } from "./browser.js";

/* The browser's globals, as the page.evaluate callbacks below use them (the project compiles without the DOM lib). */
interface PageElement {
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { top: number; right: number };
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
  classList: { contains(name: string): boolean };
  textContent: string | null;
  innerText: string;
}
declare const document: {
  documentElement: { scrollWidth: number };
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
};
declare const window: { innerWidth: number; innerHeight: number };
declare const location: { hash: string };
declare const scrollY: number;
declare function getComputedStyle(element: PageElement): { backgroundColor: string; display: string };

const screenshots = join(tmpdir(), "gateway-guard-fleet-page");
const gatewayNames = ["orders", "payments", "billing", "search", "inventory"];

/** The colours the page promises per band, written out here rather than imported. */
const bandColours: Record<string, string> = {
  fresh: "rgb(46, 125, 50)",
  expiring: "rgb(217, 119, 6)",
  critical: "rgb(220, 38, 38)",
  expired: "rgb(127, 29, 29)",
  unknown: "rgb(156, 163, 175)",
};

function expectedBand(daysLeft: string, renewBefore: number): string {
  if (daysLeft === "") return "unknown";
  const days = Number(daysLeft);
  if (days <= 0) return "expired";
  if (days < 2) return "critical";
  return days <= renewBefore ? "expiring" : "fresh";
}

let fleet: Fleet;
let chromium: TestBrowser;
let html: string;
let pageUrl: string;
let exitCode: number;

beforeAll(async () => {
  [fleet, chromium] = await Promise.all([
    startFleet({
      gateways: [
        ...defaultFleetGateways(),
        {
          name: "billing",
          keyType: "secondary",
          expiresInDays: 1.5,
          deployments: [{ cluster: 1, namespace: "billing", deployment: "billing-gateway", layout: "helm" }],
        },
        {
          name: "search",
          keyType: "primary",
          expiresInDays: 20,
          deployments: [{ cluster: 0, namespace: "search", deployment: "search-gateway", layout: "portal" }],
        },
        {
          name: "inventory",
          keyType: "primary",
          expiresInDays: 12,
          deployments: [
            { cluster: 1, namespace: "inventory", deployment: "inventory-gateway", layout: "portal" },
          ],
        },
      ],
    }),
    launchBrowser(),
  ]);
  const search = fleet.gateways.find((g) => g.name === "search")!.deployments[0];
  await fleet.tamperSecret(search, "search-gw&202001010000&b2xkIGhhbmQtbWFkZQ==");
  fleet.clusters[1].forbid({ verb: "get", resource: "deployments", namespace: "inventory" });

  const file = join(chromium.directory, "fleet.html");
  const out = captureIO();
  exitCode = await status(
    ["--all", "--config", fleet.configPath, "--format", "html", "--output", file],
    out.io,
    fleet.connect(),
  );
  expect(out.stderr()).toContain("wrote the html status to");
  html = await readFile(file, "utf8");
  pageUrl = pathToFileURL(file).href;
  await mkdir(screenshots, { recursive: true });
  await writeFile(join(screenshots, "fleet.html"), html);
}, 120_000);

afterAll(async () => {
  await Promise.all([chromium?.close(), fleet?.stop()]);
});

async function open(width: number, height: number): Promise<{ page: Page; requests: string[] }> {
  const page = await chromium.browser.newPage();
  const requests: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  await page.setViewport({ width, height });
  await page.goto(pageUrl, { waitUntil: "load" });
  return { page, requests };
}

function rows(page: Page) {
  return page.$$eval("tr.row", (trs) =>
    trs.map((tr) => ({
      gateway: tr.getAttribute("data-gateway") ?? "",
      urgency: tr.getAttribute("data-urgency") ?? "",
      daysLeft: tr.getAttribute("data-days-left") ?? "",
      renewBefore: Number(tr.getAttribute("data-renew-before")),
      fill: getComputedStyle(tr.querySelector(".bar .fill")!).backgroundColor,
      text: (tr as unknown as PageElement).innerText,
    })),
  );
}

describe("the fleet page in Chromium", () => {
  it("lists every gateway, worst first, with bars coloured by threshold (1280 px)", async () => {
    expect(exitCode, "inventory cannot be read").toBe(1);
    const { page, requests } = await open(1280, 900);
    try {
      await page.screenshot({ path: join(screenshots, "fleet-1280.png"), fullPage: true });
      const shown = await rows(page);
      expect(new Set(shown.map((r) => r.gateway))).toEqual(new Set(gatewayNames));
      const cards = await page.$$eval(".card[data-gateway]", (els) =>
        els.map((e) => e.getAttribute("data-gateway")),
      );
      expect(cards, "gateways in the order of their worst deployment").toEqual([
        "search",
        "billing",
        "inventory",
        "orders",
        "payments",
      ]);

      expect(shown.map((r) => [r.gateway, r.urgency])).toEqual([
        ["search", "expired"],
        ["billing", "critical"],
        ["inventory", "unknown"],
        ["orders", "expiring"],
        ["orders", "expiring"],
        ["payments", "fresh"],
      ]);
      for (const row of shown) {
        const band = expectedBand(row.daysLeft, row.renewBefore);
        expect(row.urgency, row.gateway).toBe(band);
        expect(row.fill, `${row.gateway}: ${band} bar`).toBe(bandColours[band]);
      }
      const search = shown[0].text;
      expect(search).toMatch(/expired [\d.]+ days ago/);
      expect(search).toContain("changed by hand");
      expect(search).toMatch(/NO/);
      expect(search).toMatch(/0 \/ 3/);
      expect(shown[2].text).toContain("?");

      const width = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(width[0], "no horizontal scroll").toBeLessThanOrEqual(width[1]);
      expect(requests, "nothing fetched but the page").toEqual([pageUrl]);
    } finally {
      await page.close();
    }
  });

  it("links every drift count to its details on the same page", async () => {
    const { page } = await open(1280, 900);
    try {
      const links = await page.$$eval('a[href^="#"]', (as) =>
        as.map((a) => {
          const id = a.getAttribute("href")!.slice(1);
          const target = document.getElementById(id);
          return { id, found: target !== null, inDetails: target?.classList.contains("detail") ?? false };
        }),
      );
      expect(links.length).toBeGreaterThanOrEqual(12);
      expect(links.filter((l) => !l.found)).toEqual([]);
      const drift = await page.$$eval("tr.row", (trs) =>
        trs.map((tr) => {
          const link = tr.querySelector('td[data-label="Drift"] a')!;
          const target = document.getElementById(link.getAttribute("href")!.slice(1))!;
          return {
            count: link.textContent ?? "",
            gateway: tr.getAttribute("data-gateway"),
            details: target.querySelectorAll(".findings li").length,
            heading: target.querySelector("h3")?.textContent ?? "",
          };
        }),
      );
      for (const row of drift) {
        expect(row.heading.startsWith(`${row.gateway} `), row.heading).toBe(true);
        const count = /^(\d+) failing$/.exec(row.count);
        if (count) expect(row.details).toBe(Number(count[1]));
      }
      expect(drift.find((r) => r.gateway === "search")?.count).toMatch(/^\d+ failing$/);
      expect(drift.find((r) => r.gateway === "inventory")?.count).toBe("not checked");

      const first = await page.$eval('tr.row td[data-label="Drift"] a', (a) => a.getAttribute("href")!);
      await page.click(`tr.row td[data-label="Drift"] a[href="${first}"]`);
      expect(await page.evaluate(() => location.hash)).toBe(first);
      const inView = (id: string) => {
        const box = document.querySelector(id)!.getBoundingClientRect();
        return box.top >= -1 && box.top < window.innerHeight;
      };
      const visible = await page.waitForFunction(inView, { timeout: 5000 }, first).then(
        () => true,
        async () =>
          page.evaluate(
            (id) => ({ top: document.querySelector(id)!.getBoundingClientRect().top, y: scrollY }),
            first,
          ),
      );
      expect(visible, "the details come into view").toBe(true);
    } finally {
      await page.close();
    }
  });

  it("reads on a phone (375 px): cards, no horizontal scroll", async () => {
    const { page } = await open(375, 812);
    try {
      await page.screenshot({ path: join(screenshots, "fleet-375.png"), fullPage: true });
      const width = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      expect(width[0], "no horizontal scroll").toBeLessThanOrEqual(width[1]);
      const headerShown = await page.$eval(".fleet thead", (el) => getComputedStyle(el).display);
      expect(headerShown).toBe("none");
      const overflowing = await page.$$eval(
        "tr.row, .card, .detail",
        (els) => els.filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5).length,
      );
      expect(overflowing).toBe(0);
      const shown = await rows(page);
      for (const row of shown)
        expect(row.fill).toBe(bandColours[expectedBand(row.daysLeft, row.renewBefore)]);
    } finally {
      await page.close();
    }
  });

  it("is self-contained and shows no token", () => {
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/i);
    expect(html).toContain("Content-Security-Policy");
    expectNoToken(html, fleet.tokens());
  });
});
