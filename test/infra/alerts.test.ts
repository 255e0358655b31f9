/**
 * The alert rules in infra/ against the events the code logs (shared/app/events.ts), both ways:
 * every event name a query uses is logged by the code, and every final failure has an alert.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  alertedEventNames,
  finalEventNames,
  operationsEvents,
  operationsMetrics,
} from "../../shared/app/events.js";

const root = join(import.meta.dirname, "..", "..");
const alerts = readFileSync(join(root, "infra", "modules", "alerts.bicep"), "utf8");

/** The KQL of every log alert: the `'''` blocks and the one-line queries. */
const queries = [...alerts.matchAll(/'''([\s\S]*?)'''/g)].map((match) => match[1]!);

/** Event and metric names a query looks for: KQL string literals such as `"rotation.failed"` or `"metric token.days_left "`. */
function namesUsed(kql: string): string[] {
  return [...kql.matchAll(/"((?:metric )?[a-z]+\.[a-z_-]+) ?"/g)].map((match) => match[1]!);
}

const used = [...new Set(queries.flatMap(namesUsed))];

/** The code that logs: every source file except the registry itself. */
function sources(directory: string): string[] {
  return readdirSync(join(root, directory), { recursive: true, encoding: "utf8" })
    .filter((file) => /\.c?ts$/.test(file) && !file.endsWith("app/events.ts"))
    .map((file) => readFileSync(join(root, directory, file), "utf8"));
}
const code = [...sources("shared"), ...sources("functions")].join("\n");

describe("alert queries in infra/modules/alerts.bicep", () => {
  it("find the queries and the names they use", () => {
    expect(queries.length).toBeGreaterThanOrEqual(3);
    expect(used).toEqual(
      expect.arrayContaining(["rotation.failed", "config.invalid", "metric token.days_left"]),
    );
  });

  it("use only event names the code logs", () => {
    for (const name of used) {
      const isMetric = name.startsWith("metric ");
      const bare = isMetric ? name.slice("metric ".length) : name;
      expect(isMetric ? Object.keys(operationsMetrics) : Object.keys(operationsEvents), name).toContain(bare);
      expect(code, `no code logs ${name}`).toContain(`"${bare}"`);
    }
  });

  it("cover every final failure, config.invalid and the dead man's switch, and nothing the registry does not mark alerted", () => {
    const finalFailures = finalEventNames.filter((name) => operationsEvents[name].level === "error");
    expect(finalFailures.sort()).toEqual([
      "rotation.failed",
      "rotation.poisoned",
      "rotation.rejected",
      "rotation.rolled-back",
    ]);
    expect(alertedEventNames).toEqual(expect.arrayContaining([...finalFailures, "config.invalid"]));
    const usedEvents = used.filter((name) => !name.startsWith("metric ") && name !== "rotation.scheduled");
    expect(usedEvents.sort()).toEqual([...alertedEventNames].sort());
    expect(used).toEqual(expect.arrayContaining(["rotation.scheduled", "metric token.days_left"]));
  });

  it("make the dead man's switch read the fields the timer and the engine write", () => {
    const deadMansSwitch = queries.find((kql) => kql.includes("token.days_left"))!;
    expect(deadMansSwitch).toContain("mv-expand entry = fields.gateways");
    expect(deadMansSwitch).toContain("tostring(entry.name)");
    expect(deadMansSwitch).toContain("toint(entry.renewBeforeInDays)");
    expect(deadMansSwitch).toContain("todouble(fields.value)");
    expect(deadMansSwitch).toContain("by gateway = tostring(fields.gateway)");
    expect(deadMansSwitch).toContain("daysLeft < renewBeforeInDays - 1");
    expect(deadMansSwitch).toContain("isnull(daysLeft)");
    expect(alerts).toMatch(
      /query: 'let silence = \$\{silenceInHours\}h;\\nlet margin = 2h;\$\{deadMansSwitchQuery\}'/,
    );
    expect(alerts).toContain("var silenceInHours = rotationIntervalInHours + 2");
  });

  it("watch /api/health from outside and alert when it does not answer 200", () => {
    const health = readFileSync(join(root, "functions", "health.cts"), "utf8");
    expect(health).toMatch(/route: "health",\s*methods: \["GET"\],\s*authLevel: "anonymous"/);
    expect(readFileSync(join(root, "infra", "resources.bicep"), "utf8")).toContain(
      "healthUrl: 'https://${functionApp.properties.defaultHostName}/api/health'",
    );
    expect(alerts).toContain("Request: { RequestUrl: healthUrl, HttpVerb: 'GET' }");
    expect(alerts).toContain("ExpectedHttpStatusCode: 200");
    expect(alerts).toContain("'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'");
  });

  it("are explained in the runbook, with every operations event and metric", () => {
    const runbook = readFileSync(join(root, "docs", "operations.md"), "utf8");
    const metrics = Object.keys(operationsMetrics).map((name) => `metric ${name}`);
    for (const name of [...Object.keys(operationsEvents), ...metrics]) {
      expect(runbook, name).toContain(`\`${name}\``);
    }
  });
});
