/** Pull mode in infra/: each cluster's queue and its agent's least rights, tied to the code's names. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { reportQueuePrefix } from "../../shared/agent/report.js";
import { reportBookLocation } from "../../shared/queue/reportBook.js";

const infra = join(import.meta.dirname, "..", "..", "infra");
const read = (path: string) => readFileSync(join(infra, path), "utf8");
const module = read("modules/pull-clusters.bicep");

describe("infra/modules/pull-clusters.bicep", () => {
  it("creates each cluster's queue under the name the agent and the service use", () => {
    expect(module).toContain(`name: '${reportQueuePrefix}\${cluster.name}'`);
  });

  it("gives an agent only Message Sender on its own queue and Secrets User on each of its gateways' secrets", () => {
    const assignments = [
      ...module.matchAll(/resource (\w+) 'Microsoft\.Authorization\/roleAssignments[^']*' = \[[\s\S]*?\n\]/g),
    ];
    expect(assignments.map((m) => m[1])).toEqual(["agentSenders", "agentSecretReaders"]);
    const [senders, readers] = assignments.map((m) => m[0]);
    expect(senders).toContain("scope: reportQueues[i]");
    expect(senders).toContain("roles.storageQueueDataMessageSender");
    expect(readers).toContain("scope: gatewaySecrets[i]");
    expect(readers).toContain("roles.keyVaultSecretsUser");
    expect(module).toContain("storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'");
    expect(module).toContain("keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'");
  });

  it("is deployed from main's pullClustersBase64, and the book's container exists", () => {
    expect(read("main.bicep")).toContain(
      "pullClusters: empty(pullClustersBase64) ? [] : json(base64ToString(pullClustersBase64))",
    );
    expect(read("main.parameters.json")).toContain(
      '"pullClustersBase64": { "value": "${PULL_CLUSTERS_BASE64=}" }',
    );
    const resources = read("resources.bicep");
    expect(resources).toContain(
      "module pulledClusters 'modules/pull-clusters.bicep' = if (!empty(pullClusters))",
    );
    expect(resources).toContain(
      `resource reports 'containers' = { name: '${reportBookLocation.container}' }`,
    );
  });
});
