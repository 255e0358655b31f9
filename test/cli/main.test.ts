import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../shared/cli/main.js";
import { rules } from "../../shared/drift/rules/index.js";
import { root, runMain } from "./harness.js";

const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version as string;

describe("gateway-guard: help, version and commands", () => {
  it("--version prints package.json's version", async () => {
    expect(await runMain(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("--help lists the commands; no command prints it to stderr and exits 2", async () => {
    const help = await runMain(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: gateway-guard <command>/);
    expect(help.stdout).toMatch(/^ {2}check +Check gateway manifests/m);
    expect(help.stdout).toMatch(/^ {2}rules +List the rules/m);
    const bare = await runMain([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe(help.stdout);
  });

  it("<command> --help and help <command> print the command's help", async () => {
    const check = await runMain(["check", "--help"]);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^Usage: gateway-guard check \[PATH\.\.\.\|-\]/);
    expect(check.stdout).toContain("table | json | sarif | junit | markdown | html");
    expect(check.stdout).toContain("--fail-on LEVEL");
    expect((await runMain(["help", "check"])).stdout).toBe(check.stdout);
    expect((await runMain(["rules", "-h"])).stdout).toMatch(/^Usage: gateway-guard rules \[ID\]/);
  });

  it("an unknown command or option exits 2 with a hint", async () => {
    expect(await runMain(["lint"])).toEqual({
      code: 2,
      stdout: "",
      stderr: 'gateway-guard: unknown command "lint". Run `gateway-guard --help` for the commands.\n',
    });
    expect((await runMain(["--verbose"])).stderr).toBe(
      "gateway-guard: unknown option --verbose. Run `gateway-guard --help` for the commands.\n",
    );
  });
});

describe("gateway-guard: unexpected errors", () => {
  it("print only the first line of the message, exit 1 (a failure, not bad input)", async () => {
    let stderr = "";
    const code = await main(["rules"], {
      stdout: {
        write: () => {
          throw new Error("disk on fire\n    at write (stream.js:1:1)");
        },
      },
      stderr: { write: (text: string) => (stderr += text) },
      stdin: "",
      env: {},
      isTTY: false,
    });
    expect(code).toBe(1);
    expect(stderr).toBe("gateway-guard: disk on fire\n");
  });
});

describe("gateway-guard rules", () => {
  it("lists every rule with its severity", async () => {
    const run = await runMain(["rules"]);
    expect(run.code).toBe(0);
    for (const rule of rules)
      expect(run.stdout).toMatch(new RegExp(`^${rule.id} +${rule.severity} +\\S`, "m"));
    expect(run.stdout).toMatch(/^token-expiry .*\(live checks only\)$/m);
  });

  it("explains one rule with its remediation", async () => {
    const replicas = rules.find((rule) => rule.id === "replicas")!;
    const run = await runMain(["rules", "replicas"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^replicas: /);
    expect(run.stdout).toContain("Default severity: error");
    expect(run.stdout).toContain(`Source: ${replicas.source}`);
    expect(run.stdout).toContain("Remediation:\n");
    const firstRemediationLine = replicas.remediation.split("\n").find((line) => line.trim() !== "")!;
    expect(run.stdout).toContain(`  ${firstRemediationLine}`);
  });

  it("lists the findings about exemption annotations and explains the source labels", async () => {
    const run = await runMain(["rules"]);
    expect(run.stdout).toMatch(/^exemption-reason +warning +An exemption annotation gives its reason/m);
    expect(run.stdout).toMatch(/^exemption-unknown-rule +warning +/m);
    for (const label of ["seed", "prod", "portal", "helm", "settings"])
      expect(run.stdout).toMatch(new RegExp(`^  ${label} +\\S`, "m"));
  });

  it.each(["exemption-reason", "exemption-unknown-rule"])("explains %s, an id reports carry", async (id) => {
    const run = await runMain(["rules", id]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${id}: `));
    expect(run.stdout).toContain("gateway-guard.io/exempt");
  });

  it("refuses an unknown rule id", async () => {
    const run = await runMain(["rules", "replica"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'gateway-guard: unknown rule "replica". Run `gateway-guard rules` for the list.\n',
    );
  });
});
