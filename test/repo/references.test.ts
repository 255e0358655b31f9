import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../package/pack.js";
import { badReferences, repositoryFiles, scanRepository } from "./references.js";

describe("no reference leaves the repository", () => {
  it("in any text file git would commit", () => {
    expect(scanRepository(root)).toEqual([]);
  });

  it("scans the READMEs, the docs and the code", () => {
    const files = repositoryFiles(root);
    expect(files).toEqual(
      expect.arrayContaining(["README.md", "test/fixtures/README.md", "shared/errors.ts"]),
    );
    expect(readFileSync(join(root, "README.md"), "utf8")).toMatch(/\]\(docs\//);
  });
});

describe("badReferences", () => {
  // Built from parts, so that this file holds no such reference itself.
  const up = "../";
  const machine = "/" + "work";
  const check = (file: string, text: string) =>
    badReferences(root, file, text).map(({ line, reference, problem }) => ({ line, reference, problem }));

  it("flags markdown links out of the repository and to missing files, not web links or anchors", () => {
    const text = [
      `[design](${up}design/baseline.md)`,
      "[ok](docs/../README.md) [web](https://example.com/a/../b) [anchor](#install)",
      "[gone](docs/nothing-here.md)",
      `[ref]: ${up}${up}elsewhere.md`,
    ].join("\n");
    expect(check("README.md", text)).toEqual([
      { line: 1, reference: `${up}design/baseline.md`, problem: "climbs out of the repository" },
      { line: 4, reference: `${up}${up}elsewhere.md`, problem: "climbs out of the repository" },
      { line: 1, reference: `${up}design/baseline.md`, problem: "links out of the repository" },
      { line: 3, reference: "docs/nothing-here.md", problem: "links to a file that does not exist" },
      { line: 4, reference: `${up}${up}elsewhere.md`, problem: "links out of the repository" },
    ]);
  });

  it("reads a ../ path from its file's folder, else from the root (prose and comments)", () => {
    const code = [
      'import { x } from "../../shared/errors.js";', // exists from test/a/: fine
      `// see ${up}design/rotation.md`, // nothing there from the file; from the root it leaves
      'const fixture = "../fixtures/upstream/helm-values.yaml";', // exists from test/drift/
      "[up](../../README.md#install)", // a file and an anchor
    ].join("\n");
    expect(check("test/drift/x.test.ts", code)).toEqual([
      { line: 2, reference: `${up}design/rotation.md`, problem: "climbs out of the repository" },
    ]);
    expect(check("shared/a.ts", `import "${up}${up}outside.js";`)).toHaveLength(1);
  });

  it("flags absolute paths into the machine the files were written on", () => {
    const found = check(
      "docs/x.md",
      [`Copied from ${machine}/fixtures.`, `cd ${machine}`, `${machine}space is fine`].join("\n"),
    );
    expect(found).toEqual([
      { line: 1, reference: `${machine}/fixtures.`, problem: "an absolute path on some machine" },
      { line: 2, reference: machine, problem: "an absolute path on some machine" },
    ]);
  });
});

describe("install instructions", () => {
  it("never run a bare `npx gateway-guard <command>` in docs or workflow files: they pin a version", () => {
    const unpinned = repositoryFiles(root)
      .filter((file) => /\.(md|ya?ml)$/.test(file))
      .flatMap((file) =>
        readFileSync(join(root, file), "utf8")
          .split("\n")
          .map((line, index) => ({ file, line: index + 1, text: line }))
          .filter(({ text }) => /\bnpx (--yes |-y )?gateway-guard\s+[\w-]/.test(text)),
      );
    expect(unpinned).toEqual([]);
  });
});
