/**
 * `npm run standins`: starts the ARM, Key Vault and Kubernetes stand-ins (two clusters), Azurite and
 * a managed identity endpoint on loopback, seeds two gateways, writes `.standins/config.yaml`,
 * `.standins/kubeconfig` and `.standins/env.sh`, prints how to use them, and runs until Ctrl-C.
 */
import { writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
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
  return `gateway-guard stand-ins are running on loopback (Ctrl-C stops them):
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

async function main(): Promise<void> {
  const fleet = await startFleet({ directory, azurite: true, identity: true, rolloutStepInMs: 400 });
  const envPath = await writeEnvFile(fleet);
  process.stdout.write(usage(fleet, envPath));
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.stdout.write("\nStopping the stand-ins...\n");
  await fleet.stop();
  process.stdout.write("Stopped.\n");
}

main().catch((error: unknown) => {
  process.stderr.write(`standins: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
