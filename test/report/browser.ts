/**
 * One headless Chromium per test file for the fleet page: Debian's package at /usr/bin/chromium
 * (`.ci/run` installs it when missing), driven by puppeteer-core, with a fresh profile in a
 * temporary directory and nothing that reaches the network.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";

export const chromiumPath = "/usr/bin/chromium";

export interface TestBrowser {
  browser: Browser;
  /** A temporary directory for the profile, pages and screenshots. */
  directory: string;
  close(): Promise<void>;
}

/** Launches Chromium headless with a fresh profile. */
export async function launchBrowser(): Promise<TestBrowser> {
  const directory = await mkdtemp(join(tmpdir(), "gateway-guard-browser-"));
  const browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${join(directory, "profile")}`,
    ],
  });
  return {
    browser,
    directory,
    async close() {
      await browser.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
