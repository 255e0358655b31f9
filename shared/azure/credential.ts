/**
 * The Azure credential used by default: managed identity in Azure, the developer's sign-in
 * (Azure CLI, VS Code, ...) on a workstation. Callers import this module lazily so that tests and
 * commands that need no Azure never load @azure/identity.
 */
import { DefaultAzureCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";

export interface CreateCredentialOptions {
  /** Client id of a user-assigned managed identity (also used for workload identity). */
  managedIdentityClientId?: string;
  /** Tenant to authenticate in, when not the credential's default. */
  tenantId?: string;
}

/**
 * Creates the default credential.
 * @param options - a user-assigned managed identity and tenant, if any.
 * @returns a `DefaultAzureCredential`.
 */
export function createCredential(options: CreateCredentialOptions = {}): TokenCredential {
  return new DefaultAzureCredential({
    ...(options.managedIdentityClientId
      ? {
          managedIdentityClientId: options.managedIdentityClientId,
          workloadIdentityClientId: options.managedIdentityClientId,
        }
      : {}),
    ...(options.tenantId ? { tenantId: options.tenantId } : {}),
  });
}
