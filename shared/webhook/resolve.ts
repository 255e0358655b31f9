/**
 * Maps webhook requests to the configured gateways they are about.
 */
import type { GatewayConfig, GuardConfig } from "../config/types.js";
import { NotFoundError } from "../errors.js";
import { redactTokens } from "../token/redact.js";
import type { GatewayMatch, RotateRequest } from "./parse.js";

/** A configured gateway and the request that asked for it. */
export interface ResolvedRotation {
  gateway: GatewayConfig;
  request: RotateRequest;
}

export interface Resolution {
  /** One entry per gateway (the first request naming a gateway wins). */
  rotations: ResolvedRotation[];
  /** Requests that named no configured gateway. */
  unmatched: RotateRequest[];
}

/**
 * The ARM resource id of a configured gateway.
 * @param gateway - the gateway.
 * @returns `/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<svc>/gateways/<gw>`.
 */
export function gatewayResourceId(gateway: GatewayConfig): string {
  const { subscriptionId, resourceGroup, service, gatewayId } = gateway.apim;
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ApiManagement/service/${service}/gateways/${gatewayId}`;
}

function normaliseId(id: string): string {
  return id.trim().replace(/\/+$/, "").toLowerCase();
}

function vaultMatches(gateway: GatewayConfig, vault: string, vaultHost: string | undefined): boolean {
  if (!URL.canParse(gateway.keyVault.url)) return false;
  const host = new URL(gateway.keyVault.url).host.toLowerCase();
  if (vaultHost !== undefined && host === vaultHost) return true;
  return host.split(".")[0] === vault.toLowerCase();
}

/**
 * The configured gateways one match names.
 * @param match - from a request.
 * @param gateways - the configured gateways.
 * @returns the matching gateways (possibly none).
 */
export function matchGateways(match: GatewayMatch, gateways: readonly GatewayConfig[]): GatewayConfig[] {
  if ("gatewayName" in match) return gateways.filter((gateway) => gateway.name === match.gatewayName);
  if ("secretName" in match) {
    const secret = match.secretName.toLowerCase();
    return gateways.filter(
      (gateway) =>
        gateway.keyVault.secretName.toLowerCase() === secret &&
        vaultMatches(gateway, match.vault, match.vaultHost),
    );
  }
  if ("gatewayResourceId" in match) {
    const wanted = normaliseId(match.gatewayResourceId);
    return gateways.filter((gateway) => normaliseId(gatewayResourceId(gateway)) === wanted);
  }
  const wanted = new Set(match.resourceIds.map(normaliseId));
  return gateways.filter((gateway) => {
    const id = normaliseId(gatewayResourceId(gateway));
    return wanted.has(id) || wanted.has(id.slice(0, id.lastIndexOf("/gateways/")));
  });
}

function describeMatch(match: GatewayMatch): string {
  if ("gatewayName" in match) return `gateway "${match.gatewayName}"`;
  if ("secretName" in match) return `Key Vault secret ${match.vault}/${match.secretName}`;
  if ("gatewayResourceId" in match) return `gateway resource ${match.gatewayResourceId}`;
  return `alert target(s) ${match.resourceIds.join(", ")}`;
}

/**
 * Resolves every request to configured gateways.
 * @param requests - from {@link parseWebhook}.
 * @param config - the loaded configuration.
 * @returns one rotation per gateway and the requests that matched nothing.
 * @throws NotFoundError when no request names a configured gateway.
 */
export function resolveGateways(requests: readonly RotateRequest[], config: GuardConfig): Resolution {
  const rotations: ResolvedRotation[] = [];
  const unmatched: RotateRequest[] = [];
  const seen = new Set<string>();
  for (const request of requests) {
    const gateways = matchGateways(request.match, config.gateways);
    if (gateways.length === 0) unmatched.push(request);
    for (const gateway of gateways) {
      if (seen.has(gateway.name)) continue;
      seen.add(gateway.name);
      rotations.push({ gateway, request });
    }
  }
  if (rotations.length === 0) {
    const names = config.gateways.map((gateway) => gateway.name).join(", ") || "none";
    const asked = redactTokens(unmatched.map((request) => describeMatch(request.match)).join("; "));
    throw new NotFoundError(`no configured gateway matches ${asked} (configured: ${names})`);
  }
  return { rotations, unmatched };
}
