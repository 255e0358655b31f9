/**
 * The Functions app's settings: the one place that reads `process.env` for the app. Everything below
 * gets the typed {@link AppSettings}. `ROTATION_SCHEDULE` is also read by the timer's registration
 * (`triggers.cts`, which loads no ES module); both check it with the same function.
 */
import { InputError } from "../errors.js";
import { pickKubeEnvironment, type KubeEnvironment } from "./kubeEnvironment.js";
import { checkRotationSchedule, defaultRotationSchedule } from "./triggers.cjs";

export { defaultRotationSchedule };

/** Environment as Node gives it. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** How the app reaches its storage account's queues. */
export type StorageConnection =
  /** A connection string: only for Azurite / local development. */
  | { kind: "connectionString"; connectionString: string }
  /** Identity-based (`AzureWebJobsStorage__queueServiceUri` or `__accountName`). */
  | {
      kind: "identity";
      queueServiceUri: string;
      /** `managedidentity` or unset (then DefaultAzureCredential). */
      credential?: string;
      /** Client id of the user-assigned identity to use. */
      clientId?: string;
    };

export interface AppSettings {
  /** The gateway-guard configuration as JSON, if given inline. */
  configJson?: string;
  /** Path of a YAML or JSON configuration file, if given. */
  configFile?: string;
  /** Storage for the rotation queue; undefined when none is configured. */
  storage?: StorageConnection;
  /** Client id of the user-assigned managed identity for ARM and Key Vault (DefaultAzureCredential). */
  azureClientId?: string;
  /** ARM endpoint override (sovereign clouds, stand-ins). */
  armEndpoint?: string;
  /** Origins allowed in the CloudEvents webhook handshake; empty means any origin. */
  webhookAllowedOrigins: string[];
  /**
   * `ROTATION_SCHEDULE` as the timer registers it, and `problem` when it is malformed (then the timer
   * is not registered; health reports it). Not thrown: the other functions keep working.
   */
  rotationSchedule: { schedule: string; problem?: string };
  /** KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT, for kubeconfig connections without a path and inCluster ones. */
  kubeEnvironment?: KubeEnvironment;
  /** `ROTATION_SPREAD_IN_MINUTES`: the window the timer spreads a run's messages over; 0 sends all at once. */
  rotationSpreadInMinutes: number;
  /** `ROTATION_ROLLOUTS_PER_CLUSTER`: rollouts at once per cluster (per namespace without a slots namespace); 0 for no cap. */
  rolloutsPerCluster: number;
  /** `ROTATION_SLOTS_NAMESPACE`: where the rollout slot Leases live; default each deployment's own namespace. */
  rolloutSlotsNamespace?: string;
}

/** Default of `ROTATION_SPREAD_IN_MINUTES`: a daily run's rotations start over an hour. */
export const defaultRotationSpreadInMinutes = 60;

/** The longest spread: half a day, well under the daily schedule and the queue's 7-day visibility limit. */
export const maxRotationSpreadInMinutes = 720;

/** Default of `ROTATION_ROLLOUTS_PER_CLUSTER`. */
export const defaultRolloutsPerCluster = 4;

/** One app setting the code (or the host, for the storage connection) reads. */
export interface AppSettingInfo {
  name: string;
  meaning: string;
  /** Default when unset, or "(none)". */
  default: string;
  /** True when a deployment to Azure must set it (checked against the Bicep by an infra test). */
  requiredInAzure: boolean;
}

/** Every app setting the Functions app reads, with meaning and default (the table in docs/functions.md). */
export const appSettingNames: readonly AppSettingInfo[] = [
  {
    name: "GATEWAY_GUARD_CONFIG",
    meaning:
      "The gateway-guard configuration as JSON (gateways, vaults, deployments). Set this or the file, not both.",
    default: "(none)",
    requiredInAzure: true,
  },
  {
    name: "GATEWAY_GUARD_CONFIG_FILE",
    meaning: "Path of a YAML or JSON configuration file (instead of GATEWAY_GUARD_CONFIG).",
    default: "(none)",
    requiredInAzure: false,
  },
  {
    name: "ROTATION_SCHEDULE",
    meaning: "NCRONTAB schedule (6 fields, UTC) of the timer that enqueues one rotation per gateway.",
    default: defaultRotationSchedule,
    requiredInAzure: true,
  },
  {
    name: "AzureWebJobsStorage__queueServiceUri",
    meaning:
      "Queue endpoint of the storage account (identity-based connection; host and app), from the account's own endpoints.",
    default: "(none)",
    requiredInAzure: true,
  },
  {
    name: "AzureWebJobsStorage__blobServiceUri",
    meaning:
      "Blob endpoint of the storage account, read by the Functions host (timer schedules, leases); not by the app's code.",
    default: "(none)",
    requiredInAzure: true,
  },
  {
    name: "AzureWebJobsStorage__accountName",
    meaning:
      "Storage account name (identity-based connection) when no queueServiceUri is given; public Azure cloud only (core.windows.net).",
    default: "(none)",
    requiredInAzure: false,
  },
  {
    name: "AzureWebJobsStorage__credential",
    meaning: "`managedidentity` to use the app's managed identity for storage.",
    default: "DefaultAzureCredential",
    requiredInAzure: true,
  },
  {
    name: "AzureWebJobsStorage__clientId",
    meaning: "Client id of the user-assigned identity used for storage.",
    default: "AZURE_CLIENT_ID",
    requiredInAzure: true,
  },
  {
    name: "AzureWebJobsStorage",
    meaning: "Storage connection string. Only for Azurite (`UseDevelopmentStorage=true`); never in Azure.",
    default: "(none)",
    requiredInAzure: false,
  },
  {
    name: "AZURE_CLIENT_ID",
    meaning: "Client id of the user-assigned managed identity used for ARM and Key Vault.",
    default: "system-assigned identity / developer sign-in",
    requiredInAzure: true,
  },
  {
    name: "GATEWAY_GUARD_ARM_ENDPOINT",
    meaning:
      "ARM endpoint override (sovereign clouds, local stand-ins); the configuration's armEndpoint wins.",
    default: "https://management.azure.com",
    requiredInAzure: false,
  },
  {
    name: "GATEWAY_GUARD_WEBHOOK_ALLOWED_ORIGINS",
    meaning:
      "Comma-separated origins allowed in the CloudEvents OPTIONS handshake (e.g. eventgrid.azure.net).",
    default: "any origin (the endpoint is protected by its function key)",
    requiredInAzure: false,
  },
  {
    name: "ROTATION_SPREAD_IN_MINUTES",
    meaning: `The timer spreads a run's rotations over this many minutes: each gateway's message stays invisible for a delay derived from its name (the same every run). 0 starts all at once; at most ${maxRotationSpreadInMinutes}. Rotations on demand are never delayed.`,
    default: String(defaultRotationSpreadInMinutes),
    requiredInAzure: true,
  },
  {
    name: "ROTATION_ROLLOUTS_PER_CLUSTER",
    meaning:
      "Rollouts at once per cluster, across instances (Lease slots; per namespace unless ROTATION_SLOTS_NAMESPACE is set). A rotation waits for a free slot. 0 for no cap.",
    default: String(defaultRolloutsPerCluster),
    requiredInAzure: true,
  },
  {
    name: "ROTATION_SLOTS_NAMESPACE",
    meaning:
      "Namespace of the rollout slot Leases in every cluster, which makes the cap per cluster; gateway-guard's Role must grant its Lease verbs there.",
    default: "each deployment's own namespace (the cap holds per namespace)",
    requiredInAzure: false,
  },
];

/**
 * Reads the app settings once at the edge.
 * @param env - the environment; `process.env` by default.
 * @returns typed settings with defaults applied.
 * @throws InputError naming the setting when one is malformed.
 */
export function readAppSettings(env: Environment = process.env): AppSettings {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw ? raw : undefined;
  };
  const armEndpoint = value("GATEWAY_GUARD_ARM_ENDPOINT");
  if (armEndpoint && !URL.canParse(armEndpoint)) {
    throw settingError("GATEWAY_GUARD_ARM_ENDPOINT", `expected an absolute URL, got "${armEndpoint}"`);
  }
  return {
    configJson: value("GATEWAY_GUARD_CONFIG"),
    configFile: value("GATEWAY_GUARD_CONFIG_FILE"),
    storage: readStorage(value),
    azureClientId: value("AZURE_CLIENT_ID"),
    armEndpoint,
    webhookAllowedOrigins: (value("GATEWAY_GUARD_WEBHOOK_ALLOWED_ORIGINS") ?? "")
      .split(",")
      .map((origin) => origin.trim().toLowerCase())
      .filter((origin) => origin.length > 0),
    rotationSchedule: checkRotationSchedule(env.ROTATION_SCHEDULE),
    kubeEnvironment: pickKubeEnvironment(env),
    rotationSpreadInMinutes: wholeNumber(value, "ROTATION_SPREAD_IN_MINUTES", {
      defaultValue: defaultRotationSpreadInMinutes,
      max: maxRotationSpreadInMinutes,
      unit: "minutes",
    }),
    rolloutsPerCluster: wholeNumber(value, "ROTATION_ROLLOUTS_PER_CLUSTER", {
      defaultValue: defaultRolloutsPerCluster,
      max: 100,
      unit: "rollouts",
    }),
    rolloutSlotsNamespace: namespaceSetting(value, "ROTATION_SLOTS_NAMESPACE"),
  };
}

/** A whole-number setting from 0 to `max`, or its default when unset. */
function wholeNumber(
  value: (name: string) => string | undefined,
  setting: string,
  { defaultValue, max, unit }: { defaultValue: number; max: number; unit: string },
): number {
  const raw = value(setting);
  if (raw === undefined) return defaultValue;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(parsed <= max)) {
    throw settingError(setting, `expected a whole number of ${unit} from 0 to ${max}, got "${raw}"`);
  }
  return parsed;
}

function namespaceSetting(value: (name: string) => string | undefined, setting: string): string | undefined {
  const raw = value(setting);
  if (raw !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(raw)) {
    throw settingError(setting, `expected a namespace name (a DNS label), got "${raw}"`);
  }
  return raw;
}

/** An InputError about one app setting; `setting` names it so callers need not parse the message. */
export type AppSettingError = InputError & { setting: string };

function settingError(setting: string, problem: string): AppSettingError {
  return Object.assign(new InputError(`app setting ${setting}: ${problem}`), { setting });
}

/** What of a URL setting can be shown: its scheme and host, never its path or query (a SAS `sig=`). */
function safeUrlText(value: string): string {
  return URL.canParse(value) ? `"${new URL(value).origin}"` : "(not a URL)";
}

function readStorage(value: (name: string) => string | undefined): StorageConnection | undefined {
  const connectionString = value("AzureWebJobsStorage");
  if (connectionString) return { kind: "connectionString", connectionString };
  const queueServiceUri = value("AzureWebJobsStorage__queueServiceUri");
  const accountName = value("AzureWebJobsStorage__accountName");
  if (!queueServiceUri && !accountName) return undefined;
  if (queueServiceUri && !URL.canParse(queueServiceUri)) {
    throw settingError(
      "AzureWebJobsStorage__queueServiceUri",
      `expected an absolute URL (https://<account>.queue.core.windows.net), got ${safeUrlText(queueServiceUri)}`,
    );
  }
  if (accountName && !/^[a-z0-9]{3,24}$/.test(accountName)) {
    throw settingError(
      "AzureWebJobsStorage__accountName",
      `expected 3-24 lower-case letters and digits, got "${accountName}"`,
    );
  }
  return {
    kind: "identity",
    queueServiceUri: queueServiceUri ?? `https://${accountName}.queue.core.windows.net`,
    credential: value("AzureWebJobsStorage__credential"),
    clientId: value("AzureWebJobsStorage__clientId") ?? value("AZURE_CLIENT_ID"),
  };
}
