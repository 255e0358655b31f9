/**
 * The pull-mode part of `npm run demo`: gateway `edge` runs in `aks-east`, which the service reaches,
 * and in `edge-paris`, which it cannot (`delivery: pull`). The service (in this process, over the
 * stand-ins and Azurite) mints, stores and pushes; the agent in edge-paris (`gateway-guard agent
 * --once`) delivers and reports; the service's timer reads the report, and its next run completes
 * the revocation of the old key that waited for it.
 */
import { enqueueScheduledRotations } from "../../shared/app/schedule.js";
import { createAppServices } from "../../shared/app/services.js";
import { readAppSettings } from "../../shared/config/appSettings.js";
import type { RotationOutcome } from "../../shared/rotation/types.js";
import { agentOnce, startPullFleet } from "../agent/pullFleet.js";

interface PullStep {
  title: string;
  /** Runs the step, prints what it shows, and says whether it ended as expected. */
  run(): Promise<boolean>;
}

let printed = "";
function print(text: string): void {
  printed += text;
  process.stdout.write(text);
}

function printOutcome(outcome: RotationOutcome): void {
  print(`${outcome.gateway}: ${outcome.status}: ${outcome.reason}\n`);
  for (const d of outcome.deployments)
    print(`  ${d.target}: ${d.status}${d.reason ? ` (${d.reason})` : ""}\n`);
}

/**
 * Runs the pull-mode steps on their own stand-ins.
 * @returns how many steps did not end as expected or printed a gateway token
 */
export async function pullModeDemo(): Promise<number> {
  print("\nStarting the stand-ins for pull mode (ARM, Key Vault, aks-east, edge-paris, Azurite)...\n");
  const pull = await startPullFleet({ withPushed: true, rolloutStepInMs: 150 });
  let failures = 0;
  try {
    const central = await pull.central();
    const [gateway] = central.gateways;
    const services = await createAppServices({
      settings: readAppSettings({ AzureWebJobsStorage: pull.fleet.azurite!.connectionString }),
      config: async () => central,
      adapters: (config) => pull.fleet.connect()(config),
    });
    const sink = {
      info: (line: unknown) => print(`  log: ${String(line)}\n`),
      warn: (line: unknown) => print(`  log (warning): ${String(line)}\n`),
      error: (line: unknown) => print(`  log (error): ${String(line)}\n`),
    };
    const steps: PullStep[] = [
      {
        title: "The service rotates edge with revocation: it pushes to aks-east, never calls edge-paris",
        async run() {
          const outcome = await services.rotate(gateway, { force: true });
          printOutcome(outcome);
          return outcome.status === "unrevoked" && outcome.reason.includes("revoke pending");
        },
      },
      {
        title: "The agent in edge-paris: gateway-guard agent --once (delivers Key Vault's token, reports)",
        async run() {
          const result = await agentOnce(pull);
          print(result.output);
          return result.code === 0;
        },
      },
      {
        title: "The service's timer reads the report queue of edge-paris, then enqueues the rotations",
        async run() {
          await enqueueScheduledRotations(services, sink);
          return true;
        },
      },
      {
        title: "The service's next run: every pulled deployment reported the new version, so it revokes",
        async run() {
          const outcome = await services.rotate(gateway, {});
          printOutcome(outcome);
          return outcome.revokedKeyType !== undefined;
        },
      },
    ];
    for (const [index, step] of steps.entries()) {
      print(`\n=== pull ${index + 1}/${steps.length}  ${step.title}\n\n`);
      printed = "";
      const ok = await step.run();
      const leaked = pull.fleet.tokens().some((token) => printed.includes(token));
      if (leaked) print("\n!!! a gateway token appeared in the output (not shown)\n");
      if (!ok) print("\n!!! this step did not end as expected\n");
      if (leaked || !ok) failures += 1;
    }
    return failures;
  } finally {
    await pull.stop();
  }
}
