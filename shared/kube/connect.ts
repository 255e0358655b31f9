/**
 * Turns a `ClusterConnection` from the configuration into a `KubeConfig` for
 * @kubernetes/client-node: a kubeconfig file and context, a kubeconfig held in Key Vault, the
 * pod's service account, or AKS with Entra ID (a bearer token from @azure/identity, refreshed
 * before it expires). Every request of one config shares a pool of keep-alive connections.
 */
import { existsSync, readFileSync } from "node:fs";
import type https from "node:https";
import { isIPv6 } from "node:net";
import { delimiter, join } from "node:path";
import { KubeConfig, type User } from "@kubernetes/client-node";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { InputError } from "../errors.js";
import { KeepAliveKubeConfig } from "./keepAlive.js";
import type { ClusterConnection } from "../config/types.js";
import type { AbortOptions } from "../rotation/types.js";
import type { KubeEnvironment } from "../config/kubeEnvironment.js";

/** Reads a kubeconfig held in Key Vault (`SecretClients` from shared/azure/keyvault.ts). */
export interface KubeconfigSecretReader {
  readKubeconfigSecret(vaultUrl: string, secretName: string, options?: AbortOptions): Promise<string>;
}

export interface KubeConnectOptions extends AbortOptions {
  /** For `aks` connections (and, without `secrets`, for `keyVaultKubeconfig`). */
  credential?: TokenCredential;
  /** For `keyVaultKubeconfig` connections; created from `credential` when absent. */
  secrets?: KubeconfigSecretReader;
  /** Refresh an Entra token this long before it expires. Default 300000 (5 minutes). */
  refreshBeforeExpiryInMs?: number;
  /**
   * What `kubeconfig` connections without a path (KUBECONFIG, HOME) and `inCluster` connections
   * (KUBERNETES_SERVICE_HOST/PORT) read, passed from the edge. Default none.
   */
  env?: KubeEnvironment;
  /** Where the pod's service account is mounted. Default `/var/run/secrets/kubernetes.io/serviceaccount`. */
  serviceAccountDirectory?: string;
}

const defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The name of the auth provider we register for AKS connections. */
export const entraAuthProviderName = "gateway-guard-entra";

/**
 * Builds a `KubeConfig` for a connection.
 * @param connection - how to reach the cluster.
 * @param options - the credential or Key Vault reader the connection needs.
 * @returns a config whose current context points at the cluster; its API clients reuse connections.
 * @throws InputError when a context does not exist or a needed credential is missing.
 */
export async function kubeConfigFor(
  connection: ClusterConnection,
  options: KubeConnectOptions = {},
): Promise<KubeConfig> {
  const config = new KeepAliveKubeConfig();
  switch (connection.type) {
    case "kubeconfig": {
      const where = connection.path ? `kubeconfig file ${connection.path}` : "the default kubeconfig";
      try {
        if (connection.path) config.loadFromFile(connection.path);
        else loadDefault(config, options);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new InputError(`Cannot load ${where}: ${reason}`, { cause: error });
      }
      selectContext(config, connection.context, where);
      break;
    }
    case "keyVaultKubeconfig": {
      const secrets = options.secrets ?? (await secretReaderFrom(options.credential));
      const text = await secrets.readKubeconfigSecret(connection.vaultUrl, connection.secretName, options);
      try {
        config.loadFromString(text);
      } catch (error) {
        throw new InputError(
          `Key Vault secret "${connection.secretName}" in ${connection.vaultUrl} does not hold a valid kubeconfig`,
          {
            cause: error,
          },
        );
      }
      selectContext(
        config,
        connection.context,
        `the kubeconfig in Key Vault secret "${connection.secretName}"`,
      );
      break;
    }
    case "inCluster":
      if (!loadInCluster(config, options)) {
        throw new InputError(
          "The inCluster connection works only inside a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set)",
        );
      }
      break;
    case "aks": {
      if (!options.credential)
        throw new InputError(`AKS connection to ${connection.server} needs an Azure credential`);
      const user: User = {
        name: "entra",
        authProvider: { name: entraAuthProviderName, config: { scope: connection.scope } },
      };
      config.loadFromOptions({
        clusters: [
          {
            name: "aks",
            server: connection.server,
            caData: connection.certificateAuthorityData,
            skipTLSVerify: false,
          },
        ],
        users: [user],
        contexts: [{ name: "aks", cluster: "aks", user: "entra" }],
        currentContext: "aks",
      });
      config.addAuthenticator(
        new EntraAuthenticator(
          options.credential,
          connection.scope,
          options.refreshBeforeExpiryInMs ?? 300_000,
        ),
      );
      break;
    }
  }
  if (!config.getCurrentCluster())
    throw new InputError(`No cluster in the kubeconfig for the ${connection.type} connection`);
  return config;
}

/**
 * As `KubeConfig.loadFromDefault`, from the given environment instead of `process.env`: the files in
 * KUBECONFIG (merged; as kubectl, the first current-context set wins), else `$HOME/.kube/config`, else the pod's
 * service account.
 */
function loadDefault(config: KubeConfig, options: KubeConnectOptions): void {
  const env = options.env ?? {};
  const files = (env.KUBECONFIG ?? "").split(delimiter).filter((file) => file.length > 0);
  if (files.length > 0) {
    config.loadFromFile(files[0]);
    for (const file of files.slice(1)) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      config.mergeConfig(more, Boolean(config.currentContext));
    }
    return;
  }
  const homes = [
    env.HOME,
    env.USERPROFILE,
    env.HOMEDRIVE && env.HOMEPATH && join(env.HOMEDRIVE, env.HOMEPATH),
  ];
  const file = homes
    .filter((home): home is string => Boolean(home))
    .map((home) => join(home, ".kube", "config"))
    .find((path) => existsSync(path));
  if (file) {
    config.loadFromFile(file);
    return;
  }
  if (loadInCluster(config, options)) return;
  throw new Error("KUBECONFIG is not set, there is no $HOME/.kube/config, and this is not a Kubernetes pod");
}

/** As `KubeConfig.loadFromCluster`, from the given environment; false outside a pod. */
function loadInCluster(config: KubeConfig, options: KubeConnectOptions): boolean {
  const host = options.env?.KUBERNETES_SERVICE_HOST?.trim();
  const port = options.env?.KUBERNETES_SERVICE_PORT?.trim();
  if (!host || !port) return false;
  const directory = options.serviceAccountDirectory ?? defaultServiceAccountDirectory;
  const scheme = ["80", "8080", "8001"].includes(port) ? "http" : "https";
  const namespaceFile = join(directory, "namespace");
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, "utf8").trim() : undefined;
  config.loadFromOptions({
    clusters: [
      {
        name: "inCluster",
        server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
        caFile: join(directory, "ca.crt"),
        skipTLSVerify: false,
      },
    ],
    users: [
      {
        name: "inClusterUser",
        authProvider: { name: "tokenFile", config: { tokenFile: join(directory, "token") } },
      },
    ],
    contexts: [{ name: "inClusterContext", cluster: "inCluster", user: "inClusterUser", namespace }],
    currentContext: "inClusterContext",
  });
  return true;
}

function selectContext(config: KubeConfig, context: string | undefined, where: string): void {
  if (!context) return;
  if (!config.getContextObject(context)) {
    const known = config.getContexts().map((c) => c.name);
    throw new InputError(`Context "${context}" is not in ${where} (contexts: ${known.join(", ") || "none"})`);
  }
  config.setCurrentContext(context);
}

async function secretReaderFrom(credential: TokenCredential | undefined): Promise<KubeconfigSecretReader> {
  if (!credential) throw new InputError("A kubeconfig held in Key Vault needs an Azure credential");
  const { SecretClients } = await import("../azure/keyvault.js");
  return new SecretClients({ credential });
}

/** Adds `Authorization: Bearer <Entra token>` for AKS, fetching a new token shortly before expiry. */
export class EntraAuthenticator {
  #token: AccessToken | undefined;
  #pending: Promise<AccessToken> | undefined;

  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
    private readonly refreshBeforeExpiryInMs: number,
  ) {}

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: string } | undefined)?.name === entraAuthProviderName;
  }

  async applyAuthentication(_user: User, options: https.RequestOptions): Promise<void> {
    const token = await this.#current();
    options.headers = { ...options.headers, Authorization: `Bearer ${token.token}` };
  }

  async #current(): Promise<AccessToken> {
    const token = this.#token;
    if (
      token &&
      Date.now() <
        Math.min(
          token.refreshAfterTimestamp ?? Infinity,
          token.expiresOnTimestamp - this.refreshBeforeExpiryInMs,
        )
    ) {
      return token;
    }
    this.#pending ??= this.#fetch().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #fetch(): Promise<AccessToken> {
    const token = await this.credential.getToken(this.scope);
    if (!token) throw new Error(`No Entra token for scope ${this.scope}`);
    this.#token = token;
    return token;
  }
}
