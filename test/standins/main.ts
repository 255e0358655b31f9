/**
 * `npm run standins`: starts the ARM, Key Vault and Kubernetes stand-ins (two clusters), Azurite and
 * a managed identity endpoint on loopback, seeds two gateways, writes `.standins/config.yaml`,
 * `.standins/kubeconfig` and `.standins/env.sh`, prints how to use them, and runs until Ctrl-C.
 *
 * It stops cleanly (Azurite too, and `.standins/env.sh` removed) on SIGINT, SIGTERM and SIGHUP (the
 * terminal went away), and when a process that started it (npm, its shell, tsx) is gone: npm does not
 * pass every signal on, and an orphan would keep the ports and Azurite.
 */
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { isAlive } from "./certs.js";
import { startFleet, type Fleet } from "./fleet.js";

const directory = ".standins";

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function writeEnvFile(fleet: Fleet): Promise<string> {
  const variables: Record<string, string> = {
    ...fleet.env,
    GATEWAY_GUARD_CONFIG_FILE: fleet.configPath,
    ...(fleet.azurite ? { AzureWebJobsStorage: fleet.azurite.connectionString } : {}),
  };
  const path = join(fleet.directory, "env.sh");
  const lines = Object.entries(variables).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  await writeFile(
    path,
    `# Written by \`npm run standins\`; valid while it runs. Source it: . ${relative(process.cwd(), path)}\n${lines.join("\n")}\n`,
    { mode: 0o600 },
  );
  return path;
}

function usage(fleet: Fleet, envPath: string): string {
  const config = relative(process.cwd(), fleet.configPath);
  const kubeconfig = relative(process.cwd(), fleet.kubeconfigPath);
  const clusters = fleet.clusters.map((c) => `${c.clusterName} ${c.url}`).join(", ");
  const gateways = fleet.gateways
    .map(
      (g) =>
        `  ${g.name.padEnd(9)} ${g.deployments.map((d) => `${d.context}/${d.namespace}/${d.deployment} (key "${d.secretKey}")`).join(", ")}`,
    )
    .join("\n");
  return `gateway-guard stand-ins are running on loopback (pid ${process.pid}; Ctrl-C stops them):
  ARM         ${fleet.arm.endpoint}
  Key Vault   ${fleet.keyVault.namedVaultUrl} (*.localhost: the env file preloads a resolver)
  Kubernetes  ${clusters}
  Azurite     ${fleet.azurite?.queueUrl ?? "not started"}
  Identity    ${fleet.identity?.endpoint ?? "not started"} (App Service managed identity, for DefaultAzureCredential)

Gateways (orders: token expires in 4 days; payments: fresh):
${gateways}

Wrote ${config}, ${kubeconfig} and ${relative(process.cwd(), envPath)}. In another shell, from this directory:
  . ${relative(process.cwd(), envPath)}     # NODE_EXTRA_CA_CERTS=${fleet.caPath}, NODE_OPTIONS (resolver) and the identity endpoint
  npx gateway-guard status --config ${config}
  npx gateway-guard rotate --all --config ${config} --dry-run
  npx gateway-guard rotate orders --config ${config}
  npx gateway-guard check --config ${config}
  kubectl --kubeconfig ${kubeconfig} --context aks-east get deployments,pods -A
`;
}

/** Resolves with why the stand-ins should stop: a signal, or a process that started them is gone. */
function stopRequested(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
      process.once(signal, () => resolve(signal));
    const starters = starterPids();
    const watch = setInterval(() => {
      const gone = starters.find((pid) => !isAlive(pid));
      if (gone !== undefined) resolve(`process ${gone}, which started the stand-ins, is gone`);
    }, 1000);
    watch.unref();
  });
}

/**
 * The processes that started this one: the parent, and on Linux its ancestors up to and including npm
 * (at most four). Elsewhere only the parent.
 */
function starterPids(): number[] {
  const pids: number[] = [];
  for (let pid = process.ppid; pid > 1 && pids.length < 4;) {
    pids.push(pid);
    let stat: string;
    let command: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      break;
    }
    if (/(^|[/\0])npm(-cli\.js)?(\0|$)/.test(command)) break;
    pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  }
  return pids;
}

/** Writes to stdout; a terminal that went away (EIO, EPIPE) must not stop the clean-up. */
function say(text: string): void {
  try {
    process.stdout.write(text);
  } catch {
    // the terminal is gone; keep stopping
  }
}

async function main(): Promise<void> {
  process.stdout.on("error", () => undefined);
  // Before anything else: a signal or a lost parent during start-up must still end in a clean stop.
  const stop = stopRequested();
  const fleet = await startFleet({ directory, azurite: true, identity: true, rolloutStepInMs: 400 });
  const envPath = await writeEnvFile(fleet);
  say(usage(fleet, envPath));
  const reason = await stop;
  say(`\nStopping the stand-ins (${reason})...\n`);
  await fleet.stop();
  await rm(envPath, { force: true });
  say("Stopped.\n");
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`standins: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
