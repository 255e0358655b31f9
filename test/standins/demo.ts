/**
 * `npm run demo`: the whole service on one machine, with no Azure account. Starts the stand-ins
 * (ARM, Key Vault, two Kubernetes clusters, a managed identity endpoint), then runs the real CLI
 * (`node bin/gateway-guard.js`, as a user would) for `status`, `rotate --all`, `status` again and a
 * live `check`, printing what each shows; then edits a Secret by hand and shows `status` spotting it
 * and `rotate` repairing it from Key Vault. Then pull mode (pullDemo.ts): a gateway in a cluster the
 * service cannot reach, delivered by its agent. Exits 0 when every step ended as expected.
 */
import { spawn } from "node:child_process";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { startFleet, type Fleet } from "./fleet.js";
import { pullModeDemo } from "./pullDemo.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

interface Step {
  title: string;
  args: string[];
  /** The exit code this step should end with. */
  expected: number;
  /** What happens in the cluster before the command runs. */
  before?: () => Promise<void>;
}

interface StepResult {
  code: number;
  output: string;
}

function runCli(fleet: Fleet, args: string[]): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, "bin", "gateway-guard.js"), ...args], {
      cwd: root,
      env: { ...process.env, ...fleet.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const relay = (sink: NodeJS.WriteStream) => (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      sink.write(text);
    };
    child.stdout.on("data", relay(process.stdout));
    child.stderr.on("data", relay(process.stderr));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Writes a different (made-up) token into the aks-west orders Secret, as `kubectl edit` would. */
async function editByHand(fleet: Fleet): Promise<void> {
  const west = fleet.gateways[0].deployments.find((d) => d.context === "aks-west");
  if (!west) throw new Error("the demo fleet has no aks-west deployment of orders");
  await fleet.tamperSecret(
    west,
    `orders-gw&203001010000&${Buffer.from("edited by hand").toString("base64")}`,
  );
}

async function main(): Promise<number> {
  process.stdout.write("Starting the local stand-ins (ARM, Key Vault, two Kubernetes clusters)...\n");
  const fleet = await startFleet({ identity: true, rolloutStepInMs: 150 });
  const config = relative(root, fleet.configPath).startsWith("..")
    ? fleet.configPath
    : relative(root, fleet.configPath);
  const steps: Step[] = [
    {
      title: "What runs now: tokens, expiry, sync with Key Vault, pods",
      args: ["status", "--config", config],
      expected: 0,
    },
    {
      title: "Rotate every gateway that needs it (orders expires in 4 days)",
      args: ["rotate", "--all", "--config", config],
      expected: 0,
    },
    { title: "After the rotation", args: ["status", "--config", config], expected: 0 },
    {
      title: "Live drift check against the production baseline",
      args: ["check", "--config", config],
      expected: 0,
    },
    {
      title: "Someone edits the orders Secret in aks-west by hand: status spots it",
      args: ["status", "orders", "--config", config],
      expected: 0,
      before: () => editByHand(fleet),
    },
    {
      title: "rotate repairs it with Key Vault's token, without minting a new one",
      args: ["rotate", "orders", "--config", config],
      expected: 0,
    },
  ];
  let failures = 0;
  try {
    for (const [index, step] of steps.entries()) {
      await step.before?.();
      process.stdout.write(
        `\n=== ${index + 1}/${steps.length}  ${step.title}\n$ gateway-guard ${step.args.join(" ")}\n\n`,
      );
      const result = await runCli(fleet, step.args);
      const leaked = fleet.tokens().some((token) => result.output.includes(token));
      if (leaked) process.stdout.write("\n!!! a gateway token appeared in the output (not shown)\n");
      if (result.code !== step.expected) {
        process.stdout.write(`\n!!! exit code ${result.code}, expected ${step.expected}\n`);
      }
      if (leaked || result.code !== step.expected) failures += 1;
    }
  } finally {
    await fleet.stop();
  }
  failures += await pullModeDemo();
  process.stdout.write(
    failures === 0
      ? "\nDemo complete: every step ended as expected; the stand-ins are stopped.\n"
      : `\nDemo finished with ${failures} unexpected step result(s).\n`,
  );
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
