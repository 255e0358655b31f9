/**
 * The `gateway-guard` command line: parses the command name, loads that command's module on demand
 * (so `check` never loads the Azure or Kubernetes SDKs) and turns errors into exit codes: 2 for bad input
 * (one problem a line), 1 for anything else that failed (an unreachable cluster, a denied permission).
 */
import type { CliIO } from "./io.js";
import { processIO } from "./io.js";
import { packageInfo } from "../package.js";
import { redactTokens } from "../token/redact.js";

/** What a command module exports. */
export interface CommandModule {
  /** The text `gateway-guard <command> --help` prints. */
  help: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** A command in the table: a one-line summary and how to load it. */
export interface CommandEntry {
  summary: string;
  load(): Promise<CommandModule>;
}

/** Every command, loaded only when used. */
export const commands: Readonly<Record<string, CommandEntry>> = {
  check: {
    summary: "Check gateway manifests against the production baseline",
    load: () => import("./commands/check.js"),
  },
  rules: {
    summary: "List the rules, or explain one with its remediation",
    load: () => import("./commands/rules.js"),
  },
  status: {
    summary: "Show each gateway's token: key, expiry, in sync with Key Vault, pods on it",
    load: () => import("./commands/status.js"),
  },
  rotate: {
    summary: "Rotate gateway tokens: plan, mint, store in Key Vault, roll out to every deployment",
    load: () => import("./commands/rotate.js"),
  },
  agent: {
    summary: "Pull mode: in a cluster Azure cannot reach, deliver Key Vault's token and report back",
    load: () => import("./commands/agent.js"),
  },
};

/** The text `gateway-guard --help` prints. */
export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const list = Object.entries(commands)
    .map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`)
    .join("\n");
  return `Usage: gateway-guard <command> [options]

Keeps Azure API Management self-hosted gateways on Kubernetes in line with the production baseline.

Commands:
${list}

Options:
  -h, --help     Show help (also: gateway-guard <command> --help)
  -v, --version  Show the version

Run \`gateway-guard check\` with no path to check the manifest the Azure portal generates.
`;
}

/**
 * Runs the CLI.
 * @param argv - the arguments after `node <script>`
 * @param io - streams and environment; the real process by default
 * @returns the exit code: 0 success, 1 a failure (a finding at or above `--fail-on`, an unreachable cluster,
 *   a denied permission), 2 a usage or input error
 */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined) {
      io.stderr.write(usage());
      return 2;
    }
    if (name === "--help" || name === "-h") {
      io.stdout.write(usage());
      return 0;
    }
    if (name === "--version" || name === "-v" || name === "-V") {
      io.stdout.write(`${packageInfo().version}\n`);
      return 0;
    }
    if (name === "help") {
      if (rest[0] === undefined) {
        io.stdout.write(usage());
        return 0;
      }
      return await main([rest[0], "--help"], io);
    }
    const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!entry) {
      const what = name.startsWith("-") ? `unknown option ${name}` : `unknown command "${name}"`;
      return fail(io, `${what}. Run \`gateway-guard --help\` for the commands.`);
    }
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (error) {
    return fail(io, errorMessage(error), isInputError(error) ? 2 : 1);
  }
}

function fail(io: CliIO, message: string, code = 2): number {
  io.stderr.write(`gateway-guard: ${redactTokens(message)}\n`);
  return code;
}

function isInputError(error: unknown): boolean {
  return error instanceof Error && error.name === "InputError";
}

/**
 * The message of any error, never a stack: an InputError's as written (one problem a line), another's first
 * line (the rest may be a stack or a response body).
 */
function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const message = error.message.trim() || error.name;
    return isInputError(error) ? message : message.split("\n")[0];
  }
  return String(error);
}
