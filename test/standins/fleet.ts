/**
 * A whole local fleet for the CLI, the demo and integration tests: the ARM and Key Vault stand-ins,
 * one or more Kubernetes stand-in clusters (HTTPS, so kubectl works too), optionally Azurite and an
 * App Service managed identity endpoint (for child processes using `DefaultAzureCredential`); seeded
 * with gateways whose tokens are really minted by the ARM stand-in and stored in Key Vault and in
 * each deployment's Secret, as if gateway-guard had rotated them before. Writes `config.yaml` and
 * `kubeconfig` into a directory.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { TokenCredential } from "@azure/core-auth";
import { ApimTokenIssuer } from "../../shared/azure/apim.js";
import {
  composeAdapters,
  type Adapters,
  type ComposeAdaptersOptions,
} from "../../shared/compose/adapters.js";
import { loadConfigFile } from "../../shared/config/load.js";
import type { GuardConfig } from "../../shared/config/types.js";
import { tokenContentType, tokenTags } from "../../shared/azure/keyvault.js";
import type { KeyType } from "../../shared/rotation/types.js";
import { startArmStandin, type ArmGatewayRef, type ArmStandin } from "./arm.js";
import { startAzurite, type RunningAzurite } from "./azurite.js";
import { makeTestCertificate } from "./certs.js";
import { gatewayDeploymentObjects, secretLocation, type SecretLayout } from "./gateways.js";
import { staticTokenCredential } from "./http.js";
import { startIdentityStandin, type IdentityStandin } from "./identity.js";
import { startKeyVaultStandin, type KeyVaultStandin } from "./keyvault.js";
import { lookupLocalhost } from "./localhostLookup.js";
import { kubeConfigYaml, startKubeStandin, type KubeStandin } from "./kube/index.js";

const dayInMs = 86_400_000;

/** Preloaded into CLI child processes: resolves `*.localhost` (the Key Vault stand-in's name). */
const preloadPath = fileURLToPath(new URL("./localhostPreload.js", import.meta.url));

/** One deployment of a seeded gateway. */
export interface FleetDeploymentSpec {
  /** Index into the fleet's clusters. */
  cluster: number;
  namespace: string;
  deployment: string;
  layout: SecretLayout;
  replicas?: number;
}

/** A gateway to seed. */
export interface FleetGatewaySpec {
  name: string;
  deployments: FleetDeploymentSpec[];
  /** The key that signed the seeded token. */
  keyType: KeyType;
  /** Days until the seeded token expires (fresh above the 7 days renew-before). */
  expiresInDays: number;
}

export interface FleetOptions {
  /** Where config.yaml and kubeconfig go (created); default a temporary directory, removed by `stop`. */
  directory?: string;
  /** Kubeconfig context names, one stand-in cluster each. Default `["aks-east", "aks-west"]`. */
  clusters?: string[];
  /** Gateways to seed; default {@link defaultFleetGateways}. */
  gateways?: FleetGatewaySpec[];
  /** Time between two rollout steps of the clusters' deployment controller. Default 20. */
  rolloutStepInMs?: number;
  /** How long a stalled rollout takes to report ProgressDeadlineExceeded. Default the Deployment's. */
  progressDeadlineInMs?: number;
  /** Written into the configuration for every gateway. Default 60000. */
  rolloutTimeoutInMs?: number;
  /** Start Azurite too (`npm run standins`). Default false. */
  azurite?: boolean;
  /** Start the managed identity endpoint for child processes. Default false. */
  identity?: boolean;
}

/** A seeded deployment, with its cluster and the Secret it reads. */
export interface FleetDeployment extends FleetDeploymentSpec {
  standin: KubeStandin;
  context: string;
  secretName: string;
  secretKey: string;
}

/** A seeded gateway. */
export interface FleetGateway {
  name: string;
  apim: ArmGatewayRef;
  /** The Key Vault secret holding its token. */
  vaultSecret: string;
  deployments: FleetDeployment[];
}

/** A running fleet. */
export interface Fleet {
  arm: ArmStandin;
  keyVault: KeyVaultStandin;
  clusters: KubeStandin[];
  azurite?: RunningAzurite;
  identity?: IdentityStandin;
  gateways: FleetGateway[];
  directory: string;
  configPath: string;
  kubeconfigPath: string;
  /** The CA file every stand-in's certificate chains to. */
  caPath: string;
  /**
   * What a child process running the CLI needs: `NODE_EXTRA_CA_CERTS`, `NODE_OPTIONS` preloading
   * localhostPreload.js (the vault's `*.localhost` name) and, with `identity`, the identity endpoint.
   */
  env: Record<string, string>;
  /**
   * For in-process use of the real adapters: a fake credential and TLS options that trust the
   * stand-ins and resolve the vault's `*.localhost` name (`lookup`, which the SDK's https.Agent
   * passes to `net.connect`).
   */
  credential: TokenCredential;
  clientOptions: { tlsOptions: { ca: string } };
  /** The configuration in config.yaml, validated. */
  loadConfig(): Promise<GuardConfig>;
  /**
   * The real adapters for a configuration, trusting the stand-ins (fake credential, test CA), with
   * short polling and ARM backoff; `options` override.
   */
  connect(options?: Partial<ComposeAdaptersOptions>): (config: GuardConfig) => Promise<Adapters>;
  /** Every token the fleet holds or held (Key Vault versions, Secrets, pods): output must contain none of them. */
  tokens(): string[];
  /** The token in a deployment's Secret now (without `GatewayKey `). Never print it. */
  secretToken(deployment: FleetDeployment): string | undefined;
  /** Writes a token into a deployment's Secret behind gateway-guard's back (as a person with kubectl would). */
  tamperSecret(deployment: FleetDeployment, token: string): Promise<void>;
  /** Stops everything and removes a temporary directory. */
  stop(): Promise<void>;
}

/** Subscription of the seeded gateways (any GUID works). */
export const fleetSubscriptionId = "00000000-0000-4000-8000-00000000f1ee";

/**
 * The default fleet: `orders` runs in two clusters (portal layout in one, Helm in the other) with a
 * token expiring in 4 days; `payments` runs in one cluster with a fresh token.
 */
export function defaultFleetGateways(): FleetGatewaySpec[] {
  return [
    {
      name: "orders",
      keyType: "primary",
      expiresInDays: 4,
      deployments: [
        { cluster: 0, namespace: "apim-gateway", deployment: "orders-gateway", layout: "portal" },
        { cluster: 1, namespace: "apim-gateway", deployment: "orders-gateway", layout: "helm" },
      ],
    },
    {
      name: "payments",
      keyType: "secondary",
      expiresInDays: 25,
      deployments: [{ cluster: 0, namespace: "payments", deployment: "payments-gateway", layout: "portal" }],
    },
  ];
}

/**
 * Starts the stand-ins, seeds the gateways and writes config.yaml and kubeconfig.
 * @param options - clusters, gateways, timing, extras.
 * @returns the running fleet; call `stop()` when done (also on failure of the caller).
 */
export async function startFleet(options: FleetOptions = {}): Promise<Fleet> {
  const started: Array<{ close(): Promise<void> }> = [];
  let temporary: string | undefined;
  try {
    const certificate = await makeTestCertificate();
    const directory = options.directory
      ? resolve(options.directory)
      : (temporary = await mkdtemp(join(tmpdir(), "gateway-guard-fleet-")));
    await mkdir(directory, { recursive: true });

    const arm = await startArmStandin();
    started.push(arm);
    const keyVault = await startKeyVaultStandin();
    started.push(keyVault);
    const contexts = options.clusters ?? ["aks-east", "aks-west"];
    const clusters: KubeStandin[] = [];
    for (const context of contexts) {
      const cluster = await startKubeStandin({
        clusterName: context,
        rolloutStepInMs: options.rolloutStepInMs ?? 20,
        progressDeadlineInMs: options.progressDeadlineInMs,
        tls: { key: certificate.key, cert: certificate.cert, ca: certificate.ca },
      });
      started.push(cluster);
      clusters.push(cluster);
    }
    let azurite: RunningAzurite | undefined;
    if (options.azurite) {
      azurite = await startAzurite();
      started.push({ close: () => azurite!.stop() });
    }
    let identity: IdentityStandin | undefined;
    if (options.identity) {
      identity = await startIdentityStandin();
      started.push(identity);
    }

    const kubeconfigPath = join(directory, "kubeconfig");
    await writeFile(
      kubeconfigPath,
      kubeConfigYaml(clusters.map((c, i) => c.kubeConfigFacts({ context: contexts[i] }))),
      { mode: 0o600 },
    );

    const credential = staticTokenCredential();
    const tlsOptions = { ca: certificate.ca, lookup: lookupLocalhost };
    const clientOptions: Fleet["clientOptions"] = { tlsOptions };
    const issuer = new ApimTokenIssuer({ credential, endpoint: arm.endpoint, clientOptions });
    const rolloutTimeoutInMs = options.rolloutTimeoutInMs ?? 60_000;
    const gateways: FleetGateway[] = [];
    const configGateways: unknown[] = [];
    for (const spec of options.gateways ?? defaultFleetGateways()) {
      const gateway = await seedGateway(spec, { arm, keyVault, clusters, contexts, issuer });
      gateways.push(gateway);
      configGateways.push({
        name: gateway.name,
        apim: gateway.apim,
        keyVault: { url: keyVault.namedVaultUrl, secretName: gateway.vaultSecret },
        deployments: gateway.deployments.map((d) => ({
          cluster: { type: "kubeconfig", path: kubeconfigPath, context: d.context },
          namespace: d.namespace,
          deployment: d.deployment,
        })),
        rolloutTimeoutInMs,
      });
    }
    const configPath = join(directory, "config.yaml");
    await writeFile(
      configPath,
      "# Written by test/standins/fleet.ts for the local stand-ins (loopback only).\n" +
        stringify({ armEndpoint: arm.endpoint, gateways: configGateways }),
    );

    const env: Record<string, string> = {
      NODE_EXTRA_CA_CERTS: certificate.caPath,
      NODE_OPTIONS: `--import ${JSON.stringify(preloadPath)}`,
      ...identity?.env,
    };
    const seen = new Set<string>();
    const collect = (): string[] => {
      for (const gateway of gateways) {
        for (const version of keyVault.versions(gateway.vaultSecret)) seen.add(version.value);
        for (const d of gateway.deployments) {
          const token = secretToken(d);
          if (token) seen.add(token);
          for (const pod of d.standin.podTokens(d.namespace, d.deployment)) {
            for (const value of Object.values(pod.env)) seen.add(stripPrefix(value));
          }
        }
      }
      return [...seen].filter((token) => token.length > 0);
    };

    return {
      arm,
      keyVault,
      clusters,
      azurite,
      identity,
      gateways,
      directory,
      configPath,
      kubeconfigPath,
      caPath: certificate.caPath,
      env,
      credential,
      clientOptions,
      tokens: collect,
      secretToken,
      loadConfig: () => loadConfigFile(configPath),
      connect:
        (overrides = {}) =>
        async (config) =>
          composeAdapters(config, {
            credential,
            clientOptions,
            pollIntervalInMs: 25,
            apimRetry: { maxRetries: 6, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
            ...overrides,
          }),
      async tamperSecret(deployment, token) {
        const secret = deployment.standin.get("Secret", deployment.namespace, deployment.secretName);
        if (!secret) throw new Error(`no Secret ${deployment.namespace}/${deployment.secretName}`);
        const data = { ...(secret.data as Record<string, string>) };
        data[deployment.secretKey] = Buffer.from(`GatewayKey ${token}`, "utf8").toString("base64");
        await deployment.standin.apply([{ ...secret, data }]);
      },
      async stop() {
        collect();
        await closeAll(started);
        if (temporary) await rm(temporary, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await closeAll(started);
    if (temporary) await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

interface SeedContext {
  arm: ArmStandin;
  keyVault: KeyVaultStandin;
  clusters: KubeStandin[];
  contexts: string[];
  issuer: ApimTokenIssuer;
}

/** The ARM reference of a seeded gateway. */
export function fleetArmRef(name: string): ArmGatewayRef {
  return {
    subscriptionId: fleetSubscriptionId,
    resourceGroup: "rg-apim-standins",
    service: "contoso-apim",
    gatewayId: `${name}-gw`,
  };
}

/** The Key Vault secret of a seeded gateway. */
export function fleetVaultSecretName(name: string): string {
  return `${name}-gateway-token`;
}

/** A gateway's token as {@link seedGatewayToken} seeded it into ARM and Key Vault. */
export interface SeededGatewayToken {
  apim: ArmGatewayRef;
  vaultSecret: string;
  token: string;
  /** What the gateway's Secrets record, as if gateway-guard had written them. */
  recorded: { keyType: KeyType; expiresOn: Date; vaultVersion: string; rotatedAt: Date };
}

/**
 * Adds a gateway to the ARM stand-in, mints its token there and stores it in Key Vault with the
 * content type and tags gateway-guard writes, as if it had rotated it 29 days before expiry.
 * @param spec - the gateway's name, key type and days to expiry.
 * @param services - the stand-ins and an issuer minting through the ARM stand-in.
 * @param description - the gateway's description in ARM.
 * @returns where the token lives and what the deployments' Secrets should record.
 */
export async function seedGatewayToken(
  spec: Pick<FleetGatewaySpec, "name" | "keyType" | "expiresInDays">,
  services: Pick<SeedContext, "arm" | "keyVault" | "issuer">,
  description = `${spec.name} (stand-in)`,
): Promise<SeededGatewayToken> {
  const apim = fleetArmRef(spec.name);
  services.arm.addGateway(apim, { description });
  const expiresOn = new Date(Math.floor((Date.now() + spec.expiresInDays * dayInMs) / 60_000) * 60_000);
  const rotatedAt = new Date(expiresOn.getTime() - 29 * dayInMs);
  const token = await services.issuer.mint(apim, spec.keyType, expiresOn);
  const vaultSecret = fleetVaultSecretName(spec.name);
  const stored = services.keyVault.seedSecret(vaultSecret, token, {
    contentType: tokenContentType,
    tags: {
      [tokenTags.gateway]: spec.name,
      [tokenTags.keyType]: spec.keyType,
      [tokenTags.managedBy]: "gateway-guard",
    },
    expiresOn,
  });
  return {
    apim,
    vaultSecret,
    token,
    recorded: { keyType: spec.keyType, expiresOn, vaultVersion: stored.version, rotatedAt },
  };
}

/**
 * Applies one deployment of a seeded gateway (Deployment, Secret with the token and what it records,
 * and the objects of its Secret layout) to its cluster; the rollout then starts.
 * @param cluster - the deployment's cluster.
 * @param deployment - where and how the deployment runs.
 * @param seeded - the gateway's token and what its Secret records.
 */
export async function applySeededDeployment(
  cluster: KubeStandin,
  deployment: FleetDeploymentSpec,
  seeded: Pick<SeededGatewayToken, "token" | "recorded">,
): Promise<void> {
  await cluster.apply(
    gatewayDeploymentObjects({
      namespace: deployment.namespace,
      name: deployment.deployment,
      layout: deployment.layout,
      token: seeded.token,
      replicas: deployment.replicas,
      recorded: seeded.recorded,
    }),
  );
}

async function seedGateway(spec: FleetGatewaySpec, context: SeedContext): Promise<FleetGateway> {
  const seeded = await seedGatewayToken(spec, context);
  const { apim, vaultSecret } = seeded;
  const deployments: FleetDeployment[] = [];
  for (const d of spec.deployments) {
    const standin = context.clusters[d.cluster];
    if (!standin) throw new Error(`gateway ${spec.name}: no cluster ${d.cluster} in the fleet`);
    await applySeededDeployment(standin, d, seeded);
    await standin.waitForRollout(d.namespace, d.deployment);
    deployments.push({
      ...d,
      standin,
      context: context.contexts[d.cluster],
      ...secretLocation(d.deployment, d.layout),
    });
  }
  return { name: spec.name, apim, vaultSecret, deployments };
}

function secretToken(deployment: FleetDeployment): string | undefined {
  const secret = deployment.standin.get("Secret", deployment.namespace, deployment.secretName);
  const data = (secret?.data as Record<string, string> | undefined)?.[deployment.secretKey];
  return data === undefined ? undefined : stripPrefix(Buffer.from(data, "base64").toString("utf8"));
}

function stripPrefix(value: string): string {
  return value.startsWith("GatewayKey ") ? value.slice("GatewayKey ".length) : value;
}

async function closeAll(started: Array<{ close(): Promise<void> }>): Promise<void> {
  await Promise.allSettled(started.reverse().map((s) => s.close()));
}
