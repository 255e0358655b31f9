/**
 * Running the CLI in tests: in-process through `main()` with captured output, or as a real process
 * (`node bin/gateway-guard.js`) against dist/, built first when it is older than the sources.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../../shared/cli/main.js";

/** The repository root. */
export const root = fileURLToPath(new URL("../../", import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string | undefined>;
  isTTY?: boolean;
  cwd?: string;
}

/** Runs `main(args)` in this process with captured streams. */
export async function runMain(args: string[], options: RunOptions = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: options.stdin ?? "",
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}

/** Runs `node bin/gateway-guard.js args` as a process (call {@link ensureBuilt} first). */
export function runBin(args: string[], options: RunOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(root, "bin", "gateway-guard.js"), ...args],
      { cwd: options.cwd ?? root, env: { PATH: process.env.PATH, ...options.env }, encoding: "utf8" },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.stdin ?? "");
  });
}

function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ with tsc when dist/shared/cli/main.js is missing or older than a source file under shared/. */
export function ensureBuilt(): void {
  const built = join(root, "dist", "shared", "cli", "main.js");
  let builtAt = 0;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    builtAt = 0;
  }
  if (builtAt >= newestSource(join(root, "shared"))) return;
  try {
    execFileSync(
      process.execPath,
      [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: root,
        stdio: "pipe",
      },
    );
  } catch {
    // Type errors elsewhere still emit JavaScript; the check below decides.
  }
  statSync(built);
}

/** A fresh temporary directory holding the given files. */
export function tempFiles(files: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), "gateway-guard-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  return directory;
}
