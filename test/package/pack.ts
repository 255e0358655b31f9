/**
 * Packing and installing gateway-guard as a user would: `npm pack` in a copy of the working tree (so the
 * build that `prepack` runs never touches the repository's dist/), then `npm install --omit=dev` of the
 * tarball into an empty directory. That production install is also what the container image holds.
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const root = fileURLToPath(new URL("../../", import.meta.url));

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Text piped to the command; without it, its standard input is /dev/null (as in a CI step). */
  stdin?: string;
}

/** Runs a command to its end and collects its exit code and output; never rejects. */
export function runCommand(command: string, args: string[], options: CommandOptions): Promise<CommandRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.stderr?.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    child.on("error", (error) => resolve({ code: 127, stdout, stderr: `${stderr}${error.message}\n` }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin?.on("error", () => {}); // a command that exits without reading its input
    child.stdin?.end(options.stdin);
  });
}

/**
 * The environment without the `npm_*` variables that `npm test` sets for its scripts (among them the
 * repository as `npm_config_local_prefix`), so that a nested npm works on its own directory.
 */
export function cleanEnvironment(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

/** Runs npm; throws with npm's output when it fails. */
export async function npm(args: string[], cwd: string): Promise<string> {
  const run = await runCommand("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd,
    env: cleanEnvironment(),
  });
  if (run.code !== 0) {
    throw new Error(`npm ${args.join(" ")} failed (${run.code}):\n${run.stdout.slice(-4000)}\n${run.stderr}`);
  }
  return run.stdout;
}

/**
 * Copies the files git would commit (tracked and new, not ignored) into a fresh directory, with the
 * repository's node_modules linked in for the build tools.
 * @returns the copy's path.
 */
export function copyWorkingTree(into: string): string {
  const copy = join(into, "source");
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  });
  for (const file of listed.split("\0")) {
    if (file === "" || !existsSync(join(root, file))) continue;
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"), "dir");
  return copy;
}

export interface PackedPackage {
  /** A temporary directory holding everything below. */
  work: string;
  /** The copy of the working tree that was packed (dist/ built there by `prepack`). */
  source: string;
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** The files in the tarball, relative to its `package/` folder. */
  files: string[];
}

/** Packs a copy of the working tree with `npm pack`, which builds it (`prepack`). */
export async function packWorkingTree(): Promise<PackedPackage> {
  const work = mkdtempSync(join(tmpdir(), "gateway-guard-pack-"));
  const source = copyWorkingTree(work);
  const [packed] = JSON.parse(await npm(["pack", "--json", "--pack-destination", work], source)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  return { work, source, tarball: join(work, packed.filename), files: packed.files.map((file) => file.path) };
}

/**
 * Installs a tarball with production dependencies only into a new directory below `work` that holds
 * nothing but an empty package.json (without it npm would install into a parent project).
 * @returns the directory; the command is `node_modules/.bin/gateway-guard` there.
 */
export async function installTarball(tarball: string, work: string): Promise<string> {
  const prefix = join(work, "install");
  mkdirSync(prefix);
  writeFileSync(join(prefix, "package.json"), '{ "private": true }\n');
  await npm(["install", "--omit=dev", tarball], prefix);
  return prefix;
}
