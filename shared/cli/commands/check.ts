/**
 * `gateway-guard check`: check manifests (files, directories, `-` for stdin, or the bundled example)
 * against the production baseline and print the findings in one of the output formats.
 *
 * With `--config FILE [NAME...]` it runs the live check instead (gateways read from their clusters), loading
 * `../liveCheck.js` with a dynamic `import()`, so the manifest path never loads the Azure or Kubernetes SDKs.
 */
import { writeFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { InputError } from "../../errors.js";
import { checkObjects } from "../../drift/check.js";
import { severityRank } from "../../drift/format/common.js";
import { formatNames, isFormatName, loadFormatter } from "../../drift/format/index.js";
import { loadInputs, readStdin } from "../../drift/load.js";
import { rules } from "../../drift/rules/index.js";
import type { CheckResult } from "../../drift/types.js";
import { parseCommandArgs } from "../args.js";
import type { CliIO } from "../io.js";
import { bundledExamplePath, packageInfo } from "../../package.js";

/** The `--fail-on` levels: the least severe failing finding that makes the exit code 1. */
export const failOnLevels = ["error", "warning", "info", "none"] as const;
export type FailOn = (typeof failOnLevels)[number];

export const help = `Usage: gateway-guard check [PATH...|-] [options]
       gateway-guard check --config FILE [NAME...] [options]

Checks self-hosted gateway Deployments (with the ConfigMaps, Secrets, PVCs, PDBs, HPAs and Services
around them) against the production baseline. PATH is a file, a directory (every .yaml, .yml and .json
below it) or - for standard input. With no PATH, standard input is read when it is a pipe or a file
(cat gw.yaml | gateway-guard check); otherwise the manifest the Azure portal generates is checked.
With --config, the configured gateways (or the NAMEd ones) are checked live instead: their objects are
read from the clusters, and token-expiry, token-in-sync and pods-have-current-token get the token's
state from the Secrets, the pods and Key Vault (compared by hash; no token is printed).

Options:
  -c, --config FILE     Check the gateways of this configuration (YAML or JSON, as for status and rotate) live
  -f, --format FORMAT   ${formatNames.join(" | ")} (default: table)
  -b, --baseline FILE   Baseline file (YAML or JSON): thresholds, severities, disabled rules, exemptions
      --strict          Ignore exemption annotations on Deployments
      --fail-on LEVEL   Exit 1 when a finding fails at or above LEVEL: ${failOnLevels.join(" | ")} (default: error)
      --verbose         Table: list every passing rule (by default they share one line)
  -o, --output FILE     Write the report to FILE instead of standard output
  -h, --help            Show this help

Exit codes: 0 no finding fails at or above --fail-on, 1 one does (or a cluster cannot be read),
2 usage or input error.

Examples:
  gateway-guard check infra/k8s/gateway.yaml
  helm template my-gateway ./chart | gateway-guard check - --format sarif --output gateway-guard.sarif
  gateway-guard check k8s/ --baseline baseline.yaml --strict --fail-on warning
  gateway-guard check --config gateway-guard.yaml orders --format sarif --output live.sarif
`;

const options = {
  config: { type: "string", short: "c" },
  format: { type: "string", short: "f" },
  baseline: { type: "string", short: "b" },
  strict: { type: "boolean" },
  "fail-on": { type: "string" },
  verbose: { type: "boolean" },
  output: { type: "string", short: "o" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * Runs `check`.
 * @param args - the arguments after `check`
 * @returns 0, or 1 when a finding fails at or above `--fail-on`
 * @throws InputError for bad flags or input (`main` turns it into exit code 2)
 */
export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs("check", args, options);
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  const format = values.format ?? "table";
  if (!isFormatName(format)) {
    throw new InputError(`unknown format "${format}"; expected one of ${formatNames.join(", ")}.`);
  }
  const failOn = values["fail-on"] ?? "error";
  if (!isFailOn(failOn)) {
    throw new InputError(`unknown --fail-on level "${failOn}"; expected one of ${failOnLevels.join(", ")}.`);
  }
  const cwd = io.cwd ?? process.cwd();

  const baseline = values.baseline
    ? await (
        await import("../../drift/baseline.js")
      ).loadBaseline(relativeTo(cwd, values.baseline), { rules })
    : undefined;
  const checkOptions = {
    baseline,
    baselineName: values.baseline ?? "default",
    strict: values.strict === true,
  };
  let result: CheckResult;
  if (values.config !== undefined) {
    const { checkConfigured } = await import("../liveCheck.js");
    result = await checkConfigured(io, { ...checkOptions, config: values.config, names: positionals });
  } else {
    result = checkObjects(await loadManifests(positionals, io, cwd), rules, checkOptions);
  }

  const { version, homepage } = packageInfo();
  const formatter = await loadFormatter(format);
  const text = formatter(result, {
    color: format === "table" && values.output === undefined && io.isTTY && !io.env.NO_COLOR,
    rules,
    toolVersion: version,
    informationUri: homepage,
    baseDirectory: cwd,
    width: io.columns ?? (Number(io.env.COLUMNS) || undefined),
    verbose: values.verbose === true,
  });

  if (values.output !== undefined) {
    const target = resolve(cwd, values.output);
    try {
      await writeFile(target, text, "utf8");
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      throw new InputError(
        `${values.output}: cannot write the report (${reason}); expected a writable file path.`,
      );
    }
    io.stderr.write(`gateway-guard: wrote the ${format} report to ${values.output}\n`);
  } else {
    io.stdout.write(text);
  }
  return exitCode(result, failOn);
}

/**
 * The exit code for a result: 1 when a finding fails at or above `failOn`, else 0.
 * @param failOn - `none` never fails
 */
export function exitCode(result: CheckResult, failOn: FailOn): 0 | 1 {
  if (failOn === "none") return 0;
  const floor = severityRank[failOn];
  const failing = result.reports.some((report) =>
    report.findings.some((finding) => finding.status === "fail" && severityRank[finding.severity] >= floor),
  );
  return failing ? 1 : 0;
}

/**
 * The objects of the manifests named; with none named, of standard input when it is a pipe or a file
 * (`cat gw.yaml | gateway-guard check`), else (or when it is empty) of the bundled example.
 */
async function loadManifests(positionals: string[], io: CliIO, cwd: string) {
  let paths = positionals;
  let stdin = io.stdin;
  if (paths.length === 0 && (typeof io.stdin === "string" || io.stdinIsPipe === true)) {
    stdin = await readStdin(io.stdin);
    if (stdin.trim() !== "") paths = ["-"];
  }
  if (paths.length === 0) {
    const example = bundledExamplePath();
    const shown = relative(cwd, example);
    paths = [shown.startsWith("..") || isAbsolute(shown) ? example : shown];
    io.stderr.write(
      `gateway-guard: no path given, so checking the bundled example (the manifest the Azure portal generates): ${paths[0]}\n`,
    );
  }

  if (paths.includes("-") && isTerminal(stdin)) {
    io.stderr.write("gateway-guard: reading manifests from standard input (end with Ctrl-D)\n");
  }
  return loadInputs(
    paths.map((path) => (path === "-" || isAbsolute(path) ? path : relativeTo(cwd, path))),
    {
      stdin,
      onSkip: ({ file, line, reason }) =>
        io.stderr.write(`gateway-guard: skipped ${file}:${line}: ${reason}\n`),
    },
  );
}

function isTerminal(stdin: CliIO["stdin"]): boolean {
  return typeof stdin !== "string" && (stdin as { isTTY?: boolean }).isTTY === true;
}

function isFailOn(value: string): value is FailOn {
  return (failOnLevels as readonly string[]).includes(value);
}

/** A path as the user gave it when relative to the working directory (messages and findings then name it so). */
function relativeTo(cwd: string, path: string): string {
  if (cwd === process.cwd()) return path;
  return resolve(cwd, path);
}
