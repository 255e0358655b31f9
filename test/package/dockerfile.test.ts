/**
 * What can be checked of the image without a container engine: the Dockerfile's promises (pinned base,
 * production install, non-root, the CLI as entry point) and that everything it copies exists and is in
 * the build context. The install itself is exercised by package.test.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "./pack.js";

const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
const dockerignore = readFileSync(join(root, ".dockerignore"), "utf8");
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .filter((line) => line.trim() !== "" && !line.startsWith("#"));

describe("Dockerfile", () => {
  it("pins its base image by exact version and digest, and every stage uses it", () => {
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
    const froms = instructions.filter((line) => line.startsWith("FROM "));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM \$\{NODE_IMAGE\}( AS \w+)?$/);
  });

  it("installs production dependencies only, from the lock file, into the final image", () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const final = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(final).not.toMatch(/^RUN npm/m);
    expect(final).toMatch(/^COPY --from=install /m);
  });

  it("runs as a numeric non-root user with the CLI as entry point", () => {
    const user = instructions.filter((line) => line.startsWith("USER ")).at(-1);
    expect(user).toMatch(/^USER [1-9]\d*(:[1-9]\d*)?$/);
    expect(instructions.filter((line) => line.startsWith("ENTRYPOINT ")).at(-1)).toBe(
      'ENTRYPOINT ["node", "/opt/gateway-guard/bin/gateway-guard.js"]',
    );
  });

  it("copies only files that exist and that .dockerignore lets into the build context", () => {
    const allowed = dockerignore
      .split("\n")
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1).replace(/\/$/, ""));
    expect(dockerignore.split("\n")).toContain("*");
    const copied = instructions
      .filter((line) => line.startsWith("COPY ") && !line.startsWith("COPY --from"))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(copied.length).toBeGreaterThan(0);
    for (const path of copied) {
      expect(existsSync(join(root, path)), path).toBe(true);
      expect(allowed, path).toContain(path);
    }
  });
});
