/**
 * First-invocation latency (issue 12): for each function, a fresh Node process that registers the
 * app as the worker does (every entry file), then handles one trigger against the local stand-ins
 * (ARM, Key Vault, Kubernetes, Azurite, a managed identity endpoint), timed from spawn to exit.
 * Compared with a process that only loads the SDKs the function uses, and the drift endpoint with
 * the CLI's `check` of the same manifest. Three builds of the app: tsc's (`dist/functions/`), the
 * one package.json's `main` names (`dist/app/`, esbuild.config.mjs: small CommonJS entry files, the
 * core they `import()` bundled as ES modules) and all of the app in one esbuild bundle (built into a
 * temporary directory). Goals: the worker within
 * 1.3× its SDKs, the drift endpoint within 2× the CLI. Runs: `BENCH_FIRST_RUNS` (default 7).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startFleet, type Fleet } from "../standins/fleet.js";
import { median, type Benchmark, type Figure } from "./benchmark.js";
import { mainEntryFiles } from "../functions/entryFiles.js";
import { bundleApp, compiledEntryFiles } from "./first-invocation/bundle.js";
import { firstInvocations, type Case } from "./first-invocation/cases.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const probe = fileURLToPath(new URL("./first-invocation/probe.mjs", import.meta.url));
const imports = fileURLToPath(new URL("./first-invocation/imports.mjs", import.meta.url));
const manifestPath = join(root, "shared", "drift", "examples", "portal-generated-v2.yaml");

/** One timed process: wall time from spawn to exit, and what it printed. */
interface Timed {
  wallInMs: number;
  output: string;
  code: number | null;
}

function timeProcess(args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let errors = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const wallInMs = performance.now() - start;
      if (code !== 0 && !args.includes("check"))
        reject(new Error(`node ${args.at(-1)} exited ${code}:\n${errors}`));
      else resolve({ wallInMs, output, code });
    });
  });
}

/** Runs a first invocation and checks that it was handled without error. */
async function invoke(
  files: string[],
  test: Case,
  env: NodeJS.ProcessEnv,
): Promise<{ wallInMs: number; cpuInMs: number }> {
  const run = await timeProcess(
    [probe, JSON.stringify({ files, name: test.name, trigger: test.trigger })],
    env,
  );
  const result = JSON.parse(run.output) as {
    ok: boolean;
    status?: number;
    failed?: string[];
    cpuInMs: number;
  };
  if (!result.ok || (result.status ?? 200) >= 400) {
    throw new Error(
      `${test.name}'s first invocation failed (status ${result.status}): ${result.failed?.join("; ")}`,
    );
  }
  return { wallInMs: run.wallInMs, cpuInMs: result.cpuInMs };
}

async function loadOnly(
  sdks: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ wallInMs: number; cpuInMs: number }> {
  const run = await timeProcess([imports, ...sdks], env);
  return { wallInMs: run.wallInMs, cpuInMs: (JSON.parse(run.output) as { cpuInMs: number }).cpuInMs };
}

/** Median wall and CPU times of several runs. */
class Samples {
  readonly #wall = new Map<string, number[]>();
  readonly #cpu = new Map<string, number[]>();
  add(key: string, sample: { wallInMs: number; cpuInMs?: number }): void {
    this.#wall.set(key, [...(this.#wall.get(key) ?? []), sample.wallInMs]);
    if (sample.cpuInMs !== undefined) this.#cpu.set(key, [...(this.#cpu.get(key) ?? []), sample.cpuInMs]);
  }
  wall(key: string): number {
    return median(this.#wall.get(key)!);
  }
  cpu(key: string): number {
    return median(this.#cpu.get(key)!);
  }
}

function runs(): number {
  const value = Number(process.env.BENCH_FIRST_RUNS ?? 7);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `BENCH_FIRST_RUNS is "${process.env.BENCH_FIRST_RUNS}": expected a whole number of 1 or more`,
    );
  }
  return value;
}

async function measure(fleet: Fleet, bundle: string): Promise<Figure[]> {
  const env = {
    ...process.env,
    ...fleet.env,
    GATEWAY_GUARD_CONFIG_FILE: fleet.configPath,
    AzureWebJobsStorage: fleet.azurite!.connectionString,
  };
  const all = firstInvocations(await readFile(manifestPath, "utf8"));
  const variants = {
    tsc: await compiledEntryFiles(),
    main: mainEntryFiles(),
    bundle: [bundle],
  };
  const sdkSets = [...new Set(all.map((test) => test.sdks.join(" ")))];
  const samples = new Samples();
  const cli = ["bin/gateway-guard.js", "check", manifestPath];
  for (let round = 0; round <= runs(); round++) {
    const keep =
      round > 0
        ? (key: string, sample: { wallInMs: number; cpuInMs?: number }) => samples.add(key, sample)
        : () => undefined;
    keep("node -e 0", await timeProcess(["-e", "0"], env));
    keep("cli check", await timeProcess(cli, env));
    for (const set of sdkSets) keep(`sdks ${set}`, await loadOnly(set.split(" "), env));
    for (const test of all) {
      for (const [variant, files] of Object.entries(variants))
        keep(`${variant} ${test.name}`, await invoke(files, test, env));
    }
  }
  const ms = (label: string, value: number): Figure => ({ label, value, unit: "ms" });
  const figures: Figure[] = [
    ms("node -e 0 (process floor)", samples.wall("node -e 0")),
    ms("CLI `gateway-guard check` of the portal manifest", samples.wall("cli check")),
  ];
  for (const test of all) {
    const sdks = `sdks ${test.sdks.join(" ")}`;
    const tsc = samples.wall(`tsc ${test.name}`);
    figures.push(
      ms(`${test.name}: first invocation, tsc build`, tsc),
      ms(`${test.name}: first invocation, npm run build (main)`, samples.wall(`main ${test.name}`)),
      ms(`${test.name}: first invocation, one esbuild bundle`, samples.wall(`bundle ${test.name}`)),
      ms(`${test.name}: loading only its libraries`, samples.wall(sdks)),
      ms(`${test.name}: CPU, tsc / main / bundle / libraries`, samples.cpu(`tsc ${test.name}`)),
      ms(`  (main)`, samples.cpu(`main ${test.name}`)),
      ms(`  (bundle)`, samples.cpu(`bundle ${test.name}`)),
      ms(`  (libraries)`, samples.cpu(sdks)),
    );
    const baseline = test.name === "driftCheck" ? samples.wall("cli check") : samples.wall(sdks);
    const limit = test.name === "driftCheck" ? 2 : test.name === "rotationWorker" ? 1.3 : undefined;
    const against = test.name === "driftCheck" ? "CLI check" : "its libraries";
    for (const variant of Object.keys(variants)) {
      const ratio = samples.wall(`${variant} ${test.name}`) / baseline;
      figures.push({
        label: `${test.name} (${variant}) / ${against}`,
        value: ratio,
        unit: "×",
        ...(limit ? { target: `≤ ${limit}×`, within: ratio <= limit } : {}),
      });
    }
  }
  return figures;
}

const firstInvocationBench: Benchmark = {
  name: "first-invocation",
  description:
    "each function's first invocation in a fresh process (registration + one trigger against the stand-ins), " +
    "tsc build vs npm run build's (main) vs one esbuild bundle, against loading only its libraries",
  async run() {
    const directory = await mkdtemp(join(tmpdir(), "gateway-guard-bundle-"));
    const fleet = await startFleet({ azurite: true, identity: true });
    try {
      return await measure(fleet, await bundleApp(directory));
    } finally {
      await fleet.stop();
      await rm(directory, { recursive: true, force: true });
    }
  },
};

export const benchmarks: Benchmark[] = [firstInvocationBench];
