/**
 * A stand-in for the App Service managed identity endpoint (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`,
 * api-version 2019-08-01), so that `DefaultAzureCredential` in a child process (the CLI in the demo,
 * a person trying the stand-ins by hand) gets an access token on loopback without any Azure sign-in.
 * The ARM and Key Vault stand-ins accept any bearer token. Only child processes need this: in-process
 * tests hand the adapters `staticTokenCredential()` from ./http.ts instead.
 */
import { randomBytes } from "node:crypto";
import { startServer } from "./http.js";

/** A running identity endpoint. */
export interface IdentityStandin {
  /** `http://127.0.0.1:<port>/msi/token` */
  readonly endpoint: string;
  /** What clients must send as `X-IDENTITY-HEADER`. */
  readonly header: string;
  /** The environment that makes `DefaultAzureCredential` use this endpoint. */
  readonly env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  /** Resources asked for, in order. */
  readonly resources: string[];
  close(): Promise<void>;
}

/**
 * Starts the identity endpoint on 127.0.0.1 (plain HTTP, as App Service serves it on localhost).
 */
export async function startIdentityStandin(): Promise<IdentityStandin> {
  const header = randomBytes(16).toString("hex");
  const resources: string[] = [];
  const server = await startServer((request) => {
    if (request.method !== "GET" || request.path !== "/msi/token") {
      return { status: 404, body: { error: "not_found", error_description: "GET /msi/token only" } };
    }
    if (request.headers["x-identity-header"] !== header) {
      return {
        status: 401,
        body: { error: "unauthorized", error_description: "X-IDENTITY-HEADER missing or wrong" },
      };
    }
    const resource = request.query.get("resource");
    if (!resource)
      return { status: 400, body: { error: "invalid_request", error_description: "resource is required" } };
    resources.push(resource);
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    return {
      status: 200,
      body: {
        access_token: `standin-${randomBytes(12).toString("hex")}`,
        expires_on: String(expiresOn),
        resource,
        token_type: "Bearer",
        client_id: "00000000-0000-0000-0000-00000000cafe",
      },
    };
  });
  const endpoint = `${server.url}/msi/token`;
  return {
    endpoint,
    header,
    env: { IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: header },
    resources,
    close: () => server.close(),
  };
}
