/**
 * A `KubeConfig` whose API clients share keep-alive connections. @kubernetes/client-node 1.4 builds
 * a new `https.Agent` for every request (`applySecurityAuthentication`), so every call to the
 * cluster opens a new connection and pays a TLS handshake; this config hands every request of the
 * cluster one keep-alive agent instead, built anew only when the TLS material changes.
 */
import http from "node:http";
import https from "node:https";
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

/** An idle connection is closed after this long (below the usual load balancer idle timeouts). */
const idleConnectionTimeoutInMs = 30_000;

/** The agent options client-node sets from the kubeconfig (CA, client certificate, TLS checks). */
const tlsFields = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;

/** A `KubeConfig` that reuses one keep-alive agent (one pool of connections) for all its requests. */
export class KeepAliveKubeConfig extends KubeConfig {
  #shared: { tls: string; agent: http.Agent } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getAgent();
    if (!fresh || this.getCurrentCluster()?.proxyUrl) return;
    context.setAgent(this.#reuse(fresh));
  }

  #reuse(fresh: http.Agent): http.Agent {
    const secure = fresh instanceof https.Agent;
    const options = secure ? tlsOptionsOf(fresh) : {};
    const tls = [secure, ...tlsFields.map((field) => textOf(options[field]))].join("\n");
    if (this.#shared?.tls !== tls) {
      const agentOptions = { ...options, keepAlive: true, timeout: idleConnectionTimeoutInMs };
      this.#shared = { tls, agent: secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions) };
    }
    return this.#shared.agent;
  }
}

function tlsOptionsOf(agent: https.Agent): https.AgentOptions {
  const options: Record<string, unknown> = {};
  for (const field of tlsFields) {
    const value = agent.options[field];
    if (value !== undefined) options[field] = value;
  }
  return options;
}

function textOf(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString("base64") : (JSON.stringify(value) ?? "");
}
