/**
 * Validates a configuration document (parsed YAML or JSON) into a `GuardConfig`, once, at the
 * edge: defaults applied, friendly shorthands expanded, every problem reported with its path.
 */
import { maxTokenLifetimeInDays } from "../token/types.js";
import { z } from "zod";
import { InputError } from "../errors.js";
import type { GuardConfig } from "./types.js";

/** Entra ID scope of the AKS server application (the same for every AKS cluster). */
export const aksDefaultScope = "6dae42f8-4368-4678-94ff-3960e28e3630/.default";

/** Defaults of the per-gateway settings. */
export const gatewayDefaults = {
  tokenLifetimeInDays: 29,
  renewBeforeInDays: 7,
  revokeOldKey: false,
  rolloutTimeoutInMs: 600_000,
} as const;

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const armGatewayId =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ApiManagement\/service\/([^/]+)\/gateways\/([^/]+)\/?$/i;
const vaultName = /^[a-zA-Z][a-zA-Z0-9-]{1,22}$/;

const text = (what: string) =>
  z
    .string({
      error: (i) => (i.input === undefined ? "required" : `must be ${what}, not ${describe(i.input)}`),
    })
    .min(1, "must not be empty");
const label = (what: string) =>
  text(what)
    .max(63, "must be at most 63 characters")
    .regex(dnsLabel, `must be ${what} (lowercase letters, digits and '-', a DNS label)`);
const subdomain = (what: string) =>
  text(what)
    .max(253, "must be at most 253 characters")
    .regex(dnsSubdomain, `must be ${what} (lowercase letters, digits, '-' and '.')`);
const httpsUrl = text("an https:// URL").refine(isHttpsUrl, "must be an https:// URL");
const guid = text("a subscription id (UUID)").regex(
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  "must be a subscription id (UUID)",
);
const vaultSecretName = text("a Key Vault secret name").regex(
  /^[0-9a-zA-Z-]{1,127}$/,
  "must be a Key Vault secret name (letters, digits and '-', at most 127)",
);
const days = z
  .number({ error: "must be a number of days" })
  .positive("must be more than 0")
  .max(maxTokenLifetimeInDays, `must be at most ${maxTokenLifetimeInDays} (ARM's limit)`);
const flag = z.boolean({ error: "must be true or false" });
const milliseconds = z
  .number({ error: "must be a number of milliseconds" })
  .int("must be a whole number of milliseconds")
  .positive("must be more than 0");

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

/** `https://…` as given (without a trailing slash); a bare vault name becomes `https://<name>.vault.azure.net`. */
const vaultUrl = z
  .string({ error: (i) => (i.input === undefined ? "required" : "must be an https:// URL or a vault name") })
  .transform(normalizeVaultUrl)
  .pipe(httpsUrl);

function normalizeVaultUrl(value: string): string {
  return vaultName.test(value) ? `https://${value}.vault.azure.net` : value.replace(/\/+$/, "");
}

/** The name a pulled cluster's agent reports as; its queue is `gateway-guard-reports-<name>` (at most 63 characters). */
export const pulledClusterName = text("a cluster name")
  .max(41, "must be at most 41 characters (the queue name gateway-guard-reports-<cluster> has at most 63)")
  .regex(dnsLabel, "must be lowercase letters, digits and '-' (a DNS label)")
  .refine((name) => !name.includes("--"), "must not contain '--' (not allowed in a queue name)");

/** Default time between two passes of an agent, which the service uses to tell a silent agent. */
export const defaultAgentIntervalInMinutes = 5;

const clusterSchema = z.preprocess(
  inferClusterType,
  z.discriminatedUnion(
    "type",
    [
      z.strictObject({
        type: z.literal("kubeconfig"),
        path: text("a file path").optional(),
        context: text("a kubeconfig context name").optional(),
      }),
      z.strictObject({
        type: z.literal("keyVaultKubeconfig"),
        vaultUrl,
        secretName: vaultSecretName,
        context: text("a kubeconfig context name").optional(),
      }),
      z.strictObject({ type: z.literal("inCluster") }),
      z.strictObject({
        type: z.literal("pulled"),
        name: pulledClusterName,
        agentIntervalInMinutes: z
          .number({ error: "must be a number of minutes" })
          .positive("must be more than 0")
          .max(1440, "must be at most 1440 (a day)")
          .default(defaultAgentIntervalInMinutes),
      }),
      z.strictObject({
        type: z.literal("aks"),
        server: httpsUrl,
        certificateAuthorityData: text("base64 PEM data")
          .regex(/^[A-Za-z0-9+/=\s]+$/, "must be base64 (as in a kubeconfig)")
          .optional(),
        scope: text("an Entra ID scope").default(aksDefaultScope),
      }),
    ],
    { error: "must have type kubeconfig, keyVaultKubeconfig, inCluster or aks" },
  ),
);

/** Lets `cluster` be omitted (current kubeconfig context), `"inCluster"`, or an object whose type is evident. */
function inferClusterType(value: unknown): unknown {
  if (value === undefined || value === null) return { type: "kubeconfig" };
  if (value === "inCluster" || value === "kubeconfig") return { type: value };
  if (typeof value !== "object" || Array.isArray(value) || "type" in value) return value;
  if ("vaultUrl" in value) return { type: "keyVaultKubeconfig", ...value };
  if ("server" in value) return { type: "aks", ...value };
  return { type: "kubeconfig", ...value };
}

/** `cluster` is a connection; with `delivery: pull` it is the name the cluster's agent reports as. */
const deploymentSchema = z.preprocess(
  pulledCluster,
  z
    .strictObject({
      cluster: clusterSchema,
      delivery: z.enum(["push", "pull"], { error: 'must be "push" or "pull"' }).optional(),
      namespace: label("a namespace name"),
      deployment: subdomain("a Deployment name"),
      secretName: subdomain("a Secret name").optional(),
      secretKey: text("a Secret key")
        .max(253, "must be at most 253 characters")
        .regex(/^[-._a-zA-Z0-9]+$/, "must be a Secret key (letters, digits, '-', '_' and '.')")
        .optional(),
    })
    .transform(({ delivery: _delivery, ...target }) => target),
);

/** `delivery: pull, cluster: <name>, agentIntervalInMinutes: n` → `cluster: { type: pulled, name, agentIntervalInMinutes }`. */
function pulledCluster(value: unknown): unknown {
  if (!isRecord(value) || value.delivery !== "pull") return value;
  const { cluster, agentIntervalInMinutes, ...rest } = value;
  return { ...rest, cluster: { type: "pulled", name: cluster, agentIntervalInMinutes } };
}

const apimFieldsSchema = z.strictObject({
  subscriptionId: guid,
  resourceGroup: text("a resource group name"),
  service: text("an API Management service name"),
  gatewayId: text("a gateway id"),
});

/** The four fields, or an ARM gateway id: `apim: "/subscriptions/…/gateways/gw"` or `apim: { resourceId: … }`. */
const apimSchema = z.unknown().transform((value, ctx) => {
  const id = typeof value === "string" ? value : isRecord(value) ? value.resourceId : undefined;
  if (id !== undefined) {
    const match = typeof id === "string" ? armGatewayId.exec(id.trim()) : null;
    const extra = isRecord(value) ? Object.keys(value).filter((key) => key !== "resourceId") : [];
    if (!match || extra.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: typeof value === "string" ? [] : ["resourceId"],
        message: !match
          ? "must be an ARM gateway id: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<service>/gateways/<gateway>"
          : `give either resourceId or ${extra.join(", ")}, not both`,
      });
      return z.NEVER;
    }
    value = Object.fromEntries(
      ["subscriptionId", "resourceGroup", "service", "gatewayId"].map((key, i) => [
        key,
        decodeURIComponent(match[i + 1]),
      ]),
    );
  }
  const parsed = apimFieldsSchema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as z.core.$ZodRawIssue);
  return z.NEVER;
});

const gatewaySchema = z.strictObject({
  name: label("a gateway name"),
  apim: apimSchema,
  keyVault: z.strictObject({ url: vaultUrl, secretName: vaultSecretName }),
  deployments: z
    .array(deploymentSchema, { error: "must be a list of deployments" })
    .min(1, "must list at least one deployment"),
  tokenLifetimeInDays: days.default(gatewayDefaults.tokenLifetimeInDays),
  renewBeforeInDays: days.default(gatewayDefaults.renewBeforeInDays),
  revokeOldKey: flag.default(gatewayDefaults.revokeOldKey),
  rolloutTimeoutInMs: milliseconds.default(gatewayDefaults.rolloutTimeoutInMs),
});

const defaultsSchema = z.strictObject({
  apim: apimFieldsSchema.partial().optional(),
  keyVault: z.strictObject({ url: vaultUrl }).optional(),
  cluster: clusterSchema.optional(),
  tokenLifetimeInDays: days.optional(),
  renewBeforeInDays: days.optional(),
  revokeOldKey: flag.optional(),
  rolloutTimeoutInMs: milliseconds.optional(),
});

const documentSchema = z.strictObject({
  gateways: z
    .array(gatewaySchema, { error: "must be a list of gateways" })
    .min(1, "must list at least one gateway"),
  defaults: z.unknown().optional(),
  armEndpoint: text("a URL")
    .refine((value) => URL.canParse(value), "must be a URL such as https://management.azure.com")
    .optional(),
});

/** One problem: where, and what was wrong. */
export interface ConfigProblem {
  path: ReadonlyArray<string | number>;
  message: string;
}

export interface ParseConfigOptions {
  /** 1-based line of a path in the source file, when known (for messages). */
  lineOf?: (path: ReadonlyArray<string | number>) => number | undefined;
}

/**
 * Validates a configuration document.
 * @param raw - the parsed YAML or JSON
 * @param source - where it came from (a file path, `GATEWAY_GUARD_CONFIG`), for messages
 * @returns the typed configuration with defaults applied
 * @throws InputError listing every problem, one per line: `gateways[2].deployments[0].namespace: required`
 */
export function parseConfig(raw: unknown, source: string, options: ParseConfigOptions = {}): GuardConfig {
  const problems: ConfigProblem[] = [];
  let input = raw;
  if (isRecord(raw)) {
    const defaults = defaultsSchema.safeParse(raw.defaults ?? {}, { reportInput: true });
    const badKeys = new Set<unknown>();
    if (!defaults.success) {
      for (const issue of defaults.error.issues) {
        problems.push(...toProblems(issue, ["defaults"]));
        badKeys.add(issue.path[0]);
        if (issue.code === "unrecognized_keys" && issue.path.length === 0)
          issue.keys.forEach((k) => badKeys.add(k));
      }
    }
    const usable = isRecord(raw.defaults)
      ? Object.fromEntries(Object.entries(raw.defaults).filter(([key]) => !badKeys.has(key)))
      : {};
    input = Array.isArray(raw.gateways)
      ? { ...raw, gateways: raw.gateways.map((g) => applyDefaults(g, usable)) }
      : raw;
  }
  const parsed = documentSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) problems.unshift(...parsed.error.issues.flatMap((issue) => toProblems(issue, [])));
  if (isRecord(input) && Array.isArray(input.gateways)) problems.push(...crossChecks(input.gateways));
  if (problems.length > 0 || !parsed.success) throw configError(source, problems, options);
  const { gateways, armEndpoint } = parsed.data;
  return armEndpoint === undefined
    ? { gateways }
    : { gateways, armEndpoint: armEndpoint.replace(/\/+$/, "") };
}

function applyDefaults(gateway: unknown, defaults: Record<string, unknown>): unknown {
  if (!isRecord(gateway)) return gateway;
  const merged: Record<string, unknown> = { ...gateway };
  for (const key of ["tokenLifetimeInDays", "renewBeforeInDays", "revokeOldKey", "rolloutTimeoutInMs"]) {
    if (merged[key] === undefined && defaults[key] !== undefined) merged[key] = defaults[key];
  }
  if (isRecord(defaults.apim)) {
    if (merged.apim === undefined) merged.apim = defaults.apim;
    else if (isRecord(merged.apim) && !("resourceId" in merged.apim))
      merged.apim = { ...defaults.apim, ...merged.apim };
  }
  if (isRecord(defaults.keyVault)) {
    if (merged.keyVault === undefined) merged.keyVault = defaults.keyVault;
    else if (isRecord(merged.keyVault)) merged.keyVault = { ...defaults.keyVault, ...merged.keyVault };
  }
  if (defaults.cluster !== undefined && Array.isArray(merged.deployments)) {
    merged.deployments = merged.deployments.map((d) =>
      isRecord(d) && d.cluster === undefined && d.delivery !== "pull"
        ? { ...d, cluster: defaults.cluster }
        : d,
    );
  }
  return merged;
}

/** Rules across fields and gateways, checked on the merged input so they show up with the others. */
function crossChecks(gateways: unknown[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = new Map<string, number>();
  const secrets = new Map<string, number>();
  gateways.forEach((gateway, i) => {
    if (!isRecord(gateway)) return;
    if (typeof gateway.name === "string") {
      const first = names.get(gateway.name);
      if (first === undefined) names.set(gateway.name, i);
      else
        problems.push({
          path: ["gateways", i, "name"],
          message: `"${gateway.name}" is already used by gateways[${first}]`,
        });
    }
    const vault = gateway.keyVault;
    if (isRecord(vault) && typeof vault.url === "string" && typeof vault.secretName === "string") {
      const key = `${normalizeVaultUrl(vault.url).toLowerCase()}/${vault.secretName.toLowerCase()}`;
      const first = secrets.get(key);
      if (first === undefined) secrets.set(key, i);
      else
        problems.push({
          path: ["gateways", i, "keyVault", "secretName"],
          message: `already holds the token of gateways[${first}]; each gateway needs its own secret`,
        });
    }
    const lifetime = gateway.tokenLifetimeInDays ?? gatewayDefaults.tokenLifetimeInDays;
    const renew = gateway.renewBeforeInDays ?? gatewayDefaults.renewBeforeInDays;
    if (typeof lifetime === "number" && typeof renew === "number" && renew >= lifetime) {
      problems.push({
        path: ["gateways", i, "renewBeforeInDays"],
        message: `must be less than tokenLifetimeInDays (${lifetime}), or every run would rotate`,
      });
    }
  });
  return problems;
}

function toProblems(issue: z.core.$ZodIssue, prefix: Array<string | number>): ConfigProblem[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({ path: [...path, key], message: "unknown field" }));
    case "invalid_type":
      if (!("input" in issue) || issue.input === undefined) return [{ path, message: "required" }];
      if (issue.message.startsWith("Invalid input")) {
        return [{ path, message: `must be ${article(issue.expected)}, not ${describe(issue.input)}` }];
      }
      return [{ path, message: issue.message }];
    case "invalid_union":
      if (issue.discriminator !== undefined && "options" in issue && issue.options) {
        return [
          { path, message: `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}` },
        ];
      }
      return [{ path, message: issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}

function article(expected: string): string {
  if (expected === "object") return "a mapping";
  if (expected === "array") return "a list";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `gateways[2].deployments[0].namespace` */
export function formatPath(path: ReadonlyArray<string | number>): string {
  return path.reduce<string>(
    (out, part) => (typeof part === "number" ? `${out}[${part}]` : out === "" ? part : `${out}.${part}`),
    "",
  );
}

function configError(source: string, problems: ConfigProblem[], options: ParseConfigOptions): InputError {
  const lines = problems.map((problem) => {
    const line = options.lineOf?.(problem.path);
    const where = formatPath(problem.path) || "(top level)";
    return `  ${where}: ${problem.message}${line === undefined ? "" : ` (line ${line})`}`;
  });
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  return new InputError(`invalid configuration in ${source} (${count}):\n${lines.join("\n")}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
