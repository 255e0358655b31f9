/**
 * Runs the steps of a composite GitHub Action (action.yml) the way the runner does, without GitHub: each
 * `run:` step under `bash --noprofile --norc -eo pipefail`, with GITHUB_ACTION_PATH, GITHUB_WORKSPACE and
 * GITHUB_OUTPUT set and the `${{ }}` expressions in `run`, `env`, `working-directory` and `with`
 * substituted. Composite actions get their inputs only through `${{ inputs.* }}` (GitHub sets INPUT_*
 * variables for JavaScript and Docker actions only), so no INPUT_* variable is set here either.
 * `uses:` steps are not run: they are returned with their `with:` resolved, for the test to check.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { runCommand, type CommandRun } from "./pack.js";

interface ActionStep {
  id?: string;
  name?: string;
  if?: string;
  run?: string;
  shell?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  "working-directory"?: string;
}

interface ActionFile {
  inputs?: Record<string, { default?: string; required?: boolean }>;
  outputs?: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

export interface ActionRunOptions {
  /** The action's own files (`github.action_path`). */
  actionPath: string;
  /** The checked-out repository (`github.workspace`). */
  workspace: string;
  /** The `with:` of the workflow step; missing inputs take their defaults. */
  inputs?: Record<string, string>;
  /** Added to every step's environment (PATH and HOME are passed through). */
  env?: Record<string, string>;
}

export interface StepRun {
  name: string;
  /** `skipped` when its `if:` was false; `uses` for a step that calls another action (not run). */
  outcome: "success" | "failure" | "skipped" | "uses";
  run?: CommandRun;
  uses?: string;
  with?: Record<string, string>;
}

export interface ActionRun {
  steps: StepRun[];
  /** The action's `outputs:`, resolved. */
  outputs: Record<string, string>;
  /** False when a step failed (later steps are then not run, as on GitHub). */
  success: boolean;
}

/** Reads `name=value` lines (and `name<<DELIMITER` blocks) that a step wrote to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const block = /^([^=<]+)<<(.+)$/.exec(line);
    if (block) {
      const end = lines.indexOf(block[2], index + 1);
      outputs[block[1]] = lines.slice(index + 1, end).join("\n");
      index = end;
    } else if (line.includes("=")) {
      outputs[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return outputs;
}

type Context = (path: string) => string;

/** Substitutes `${{ path }}`; any expression beyond a plain context path is refused, so that none goes untested. */
function substitute(text: string, context: Context): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_whole, expression: string) => context(expression));
}

/** Evaluates an `if:` of the form `inputs.NAME == 'value'` (the only form the action uses). */
function condition(expression: string, context: Context): boolean {
  const match = /^([\w.-]+)\s*==\s*'([^']*)'$/.exec(expression.replace(/^\$\{\{\s*|\s*\}\}$/g, "").trim());
  if (!match) throw new Error(`unsupported if: ${expression}`);
  return context(match[1]) === match[2];
}

/**
 * Runs an action's steps in order.
 * @param actionFile - the action.yml to run.
 */
export async function runAction(actionFile: string, options: ActionRunOptions): Promise<ActionRun> {
  const action = parse(readFileSync(actionFile, "utf8")) as ActionFile;
  if (action.runs.using !== "composite")
    throw new Error(`expected a composite action, got ${action.runs.using}`);
  const inputs: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs ?? {})) {
    inputs[name] = options.inputs?.[name] ?? input.default ?? "";
  }
  for (const name of Object.keys(options.inputs ?? {})) {
    if (!(name in inputs)) throw new Error(`the action has no input "${name}"`);
  }
  const stepOutputs: Record<string, Record<string, string>> = {};
  const context: Context = (path) => {
    if (path === "github.action_path") return options.actionPath;
    if (path === "github.workspace") return options.workspace;
    const input = /^inputs\.([\w-]+)$/.exec(path);
    if (input && input[1] in inputs) return inputs[input[1]];
    const output = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(path);
    if (output) return stepOutputs[output[1]]?.[output[2]] ?? "";
    throw new Error(`unsupported expression: \${{ ${path} }}`);
  };

  const temp = mkdtempSync(join(tmpdir(), "gateway-guard-action-"));
  const steps: StepRun[] = [];
  let success = true;
  for (const [index, step] of action.runs.steps.entries()) {
    const name = step.name ?? step.id ?? `step ${index + 1}`;
    if (!success) break;
    if (step.if && !condition(step.if, context)) {
      steps.push({ name, outcome: "skipped" });
      continue;
    }
    if (step.uses) {
      const resolved = Object.fromEntries(
        Object.entries(step.with ?? {}).map(([key, value]) => [key, substitute(String(value), context)]),
      );
      steps.push({ name, outcome: "uses", uses: step.uses, with: resolved });
      continue;
    }
    if (step.shell !== "bash") throw new Error(`step "${name}": expected shell: bash, got ${step.shell}`);
    const outputFile = join(temp, `output-${index}`);
    const scriptFile = join(temp, `step-${index}.sh`);
    writeFileSync(outputFile, "");
    writeFileSync(scriptFile, substitute(step.run ?? "", context));
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...options.env,
      ...Object.fromEntries(
        Object.entries(step.env ?? {}).map(([key, value]) => [key, substitute(value, context)]),
      ),
      GITHUB_ACTIONS: "true",
      CI: "true",
      GITHUB_ACTION_PATH: options.actionPath,
      GITHUB_WORKSPACE: options.workspace,
      GITHUB_OUTPUT: outputFile,
      RUNNER_TEMP: temp,
    };
    const cwd = substitute(step["working-directory"] ?? "${{ github.workspace }}", context);
    const run = await runCommand("bash", ["--noprofile", "--norc", "-eo", "pipefail", scriptFile], {
      cwd,
      env,
    });
    if (step.id) stepOutputs[step.id] = parseOutputFile(readFileSync(outputFile, "utf8"));
    success = run.code === 0;
    steps.push({ name, outcome: success ? "success" : "failure", run });
  }
  const outputs = Object.fromEntries(
    Object.entries(action.outputs ?? {}).map(([name, output]) => [name, substitute(output.value, context)]),
  );
  return { steps, outputs, success };
}
