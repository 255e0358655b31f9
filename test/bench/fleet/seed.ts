/**
 * Seeds a large fleet into running stand-ins, in parallel. `startFleet` (test/standins/fleet.ts)
 * seeds one gateway after another and waits for each rollout, which at a 2-second rollout and a
 * thousand deployments would take over half an hour; here every gateway is seeded at once and the
 * rollouts are awaited together. What a seeded gateway looks like is the same as there: a token
 * really minted by the ARM stand-in, in Key Vault and in each deployment's Secret, with the
 * annotations gateway-guard writes.
 */
import { writeFile } from "node:fs/promises";
import { ApimTokenIssuer } from "../../../shared/azure/apim.js";
import {
  applySeededDeployment,
  fleetArmRef,
  fleetVaultSecretName,
  seedGatewayToken,
  type Fleet,
  type FleetGatewaySpec,
} from "../../standins/fleet.js";

/**
 * Seeds the gateways into the fleet's ARM, Key Vault and clusters and waits until every
 * deployment has rolled out.
 * @param fleet - a running fleet (started with `gateways: []`).
 * @param specs - the gateways.
 */
export async function seedGateways(fleet: Fleet, specs: readonly FleetGatewaySpec[]): Promise<void> {
  const issuer = new ApimTokenIssuer({
    credential: fleet.credential,
    endpoint: fleet.arm.endpoint,
    clientOptions: fleet.clientOptions,
  });
  const rollouts: Array<Promise<void>> = [];
  await Promise.all(
    specs.map(async (spec) => {
      const seeded = await seedGatewayToken(spec, { ...fleet, issuer }, `${spec.name} (bench)`);
      for (const d of spec.deployments) {
        const cluster = fleet.clusters[d.cluster]!;
        await applySeededDeployment(cluster, d, seeded);
        rollouts.push(cluster.onRolloutComplete(d.namespace, d.deployment));
      }
    }),
  );
  await Promise.all(rollouts);
}

/**
 * Writes a configuration (JSON) naming the gateways, as `startFleet` writes config.yaml.
 * @param fleet - the fleet whose stand-ins they live in.
 * @param specs - the gateways.
 * @param path - where to write it.
 * @param rolloutTimeoutInMs - every gateway's rollout timeout.
 * @returns the number of bytes written (the configuration's own size).
 */
export async function writeFleetConfig(
  fleet: Fleet,
  specs: readonly FleetGatewaySpec[],
  path: string,
  rolloutTimeoutInMs = 600_000,
): Promise<number> {
  const contexts = fleet.clusters.map((cluster) => cluster.clusterName);
  const config = {
    armEndpoint: fleet.arm.endpoint,
    gateways: specs.map((spec) => ({
      name: spec.name,
      apim: fleetArmRef(spec.name),
      keyVault: { url: fleet.keyVault.namedVaultUrl, secretName: fleetVaultSecretName(spec.name) },
      deployments: spec.deployments.map((d) => ({
        cluster: { type: "kubeconfig", path: fleet.kubeconfigPath, context: contexts[d.cluster] },
        namespace: d.namespace,
        deployment: d.deployment,
      })),
      rolloutTimeoutInMs,
    })),
  };
  const text = JSON.stringify(config);
  await writeFile(path, text);
  return Buffer.byteLength(text);
}
