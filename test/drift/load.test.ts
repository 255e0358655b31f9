import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInputs, parseManifest, stdinName } from "../../shared/drift/load.js";

const multiDoc = `# leading comment
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: gw-env
data:
  config.service.endpoint: "x.configuration.azure-api.net"
---
# comments only
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gw
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: gw
        image: mcr.microsoft.com/azure-api-management/gateway:2.5.0
`;

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

function syncErrorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("parseManifest", () => {
  it("gives each object of a multi-document YAML its line and the lines of its fields", () => {
    const objects = parseManifest(multiDoc, "gw.yaml");
    expect(objects.map((o) => o.object.kind)).toEqual(["ConfigMap", "Deployment"]);
    const [configMap, deployment] = objects;
    expect(configMap.file).toBe("gw.yaml");
    expect(configMap.line).toBe(3);
    expect(configMap.lineOf(["data", "config.service.endpoint"])).toBe(8);
    expect(deployment.line).toBe(12);
    expect(deployment.lineOf(["spec", "replicas"])).toBe(17);
    expect(deployment.lineOf(["spec", "template", "spec", "containers", 0, "image"])).toBe(22);
    expect(deployment.lineOf(["spec", "template", "spec", "containers", 0])).toBe(21);
    expect(deployment.lineOf(["spec", "missing"])).toBeUndefined();
    expect(deployment.lineOf(["spec", "template", "spec", "containers", 5])).toBeUndefined();
    expect(deployment.object.spec).toEqual(expect.objectContaining({ replicas: 1 }));
  });

  it("reads JSON with lines", () => {
    const json = JSON.stringify(
      { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "gw" }, spec: { replicas: 3 } },
      null,
      2,
    );
    const [object] = parseManifest(json, "gw.json");
    expect(object.line).toBe(1);
    expect(object.object.metadata.name).toBe("gw");
    expect(object.lineOf(["spec", "replicas"])).toBe(8);
  });

  it("flattens kind: List, each item with its own line", () => {
    const list = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: a
- apiVersion: v1
  kind: Service
  metadata:
    name: b
  spec:
    selector:
      app: b
`;
    const objects = parseManifest(list, "list.yaml");
    expect(objects.map((o) => `${o.object.kind}/${o.object.metadata.name}@${o.line}`)).toEqual([
      "ConfigMap/a@4",
      "Service/b@8",
    ]);
    expect(objects[1].lineOf(["spec", "selector", "app"])).toBe(14);
  });

  it("flattens a JSON List", () => {
    const json = `{
  "kind": "List",
  "items": [
    { "kind": "ConfigMap", "metadata": { "name": "a" } },
    {
      "kind": "Secret",
      "metadata": { "name": "b" }
    }
  ]
}`;
    const objects = parseManifest(json, "list.json");
    expect(objects.map((o) => o.line)).toEqual([4, 5]);
    expect(objects[1].lineOf(["metadata", "name"])).toBe(7);
  });

  it("follows aliases for field lines", () => {
    const text = `kind: ConfigMap
metadata:
  name: a
  labels: &labels
    app: x
data:
  copy: *labels
`;
    const [object] = parseManifest(text, "a.yaml");
    expect(object.object.data).toEqual({ copy: { app: "x" } });
    expect(object.lineOf(["data", "copy", "app"])).toBe(5);
  });

  it("refuses malformed YAML naming file, line and what was expected", () => {
    const error = syncErrorOf(() =>
      parseManifest("kind: ConfigMap\nmetadata:\n  name: [a\n  b: c\n", "bad.yaml"),
    );
    expect(error.name).toBe("InputError");
    expect(error.message).toMatch(/^bad\.yaml:\d+: malformed YAML: .*\(expected valid YAML\)\.$/);
    expect(error.message).not.toContain("\n");
  });

  it("refuses malformed JSON naming file and line", () => {
    const error = syncErrorOf(() =>
      parseManifest('{\n  "kind": "ConfigMap",\n  "metadata": {\n}', "bad.json"),
    );
    expect(error.name).toBe("InputError");
    expect(error.message).toMatch(/^bad\.json:\d+: malformed JSON: .*\(expected valid JSON\)\.$/);
  });

  it("refuses a non-object document with its line", () => {
    const error = syncErrorOf(() =>
      parseManifest("kind: ConfigMap\nmetadata: {name: a}\n---\njust text\n", "x.yaml"),
    );
    expect(error.name).toBe("InputError");
    expect(error.message).toBe(
      "x.yaml:4: expected a Kubernetes object (a mapping with `kind`), found a string.",
    );
    const list = syncErrorOf(() => parseManifest("- a\n- b\n", "y.yaml"));
    expect(list.message).toContain("y.yaml:1: expected a Kubernetes object");
    expect(list.message).toContain("found a list");
  });

  it("refuses an object without kind, and one without a name", () => {
    const noKind = syncErrorOf(() => parseManifest("---\nmetadata:\n  name: a\n", "x.yaml"));
    expect(noKind.name).toBe("InputError");
    expect(noKind.message).toBe(
      "x.yaml:2: expected a Kubernetes object with a `kind`; this mapping has none.",
    );
    const noName = syncErrorOf(() => parseManifest("kind: Deployment\nspec: {}\n", "x.yaml"));
    expect(noName.message).toContain("x.yaml:1: Deployment has no `metadata.name`");
    const itemWithoutKind = syncErrorOf(() =>
      parseManifest(
        "kind: List\nitems:\n- kind: ConfigMap\n  metadata: {name: a}\n- metadata: {name: b}\n",
        "l.yaml",
      ),
    );
    expect(itemWithoutKind.message).toContain("l.yaml:5:");
  });

  it("skips empty and comment-only documents", () => {
    expect(parseManifest("---\n# nothing\n---\n", "empty.yaml")).toEqual([]);
    expect(parseManifest("", "empty.yaml")).toEqual([]);
  });

  it("refuses a YAML alias bomb with a clear message", () => {
    const bomb = [
      "kind: ConfigMap",
      "metadata: {name: bomb}",
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]",
      "",
    ].join("\n");
    const started = Date.now();
    const error = syncErrorOf(() => parseManifest(bomb, "bomb.yaml"));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.name).toBe("InputError");
    expect(error.message).toMatch(
      /^bomb\.yaml:1: refused: .*too many YAML aliases \(limit 100\).*alias bomb/,
    );
  });

  it("refuses text over the size limit, saying the limit", () => {
    const error = syncErrorOf(() =>
      parseManifest("kind: ConfigMap\n" + "#".repeat(2048), "big.yaml", { maxBytes: 1024 }),
    );
    expect(error.name).toBe("InputError");
    expect(error.message).toBe("big.yaml: refused: larger than the limit of 1 KiB per input.");
  });
});

describe("parseManifest: types and JSON", () => {
  it("refuses a metadata.namespace or metadata.name that is not a string, at the field's line", () => {
    const namespace = syncErrorOf(() =>
      parseManifest("kind: Deployment\nmetadata:\n  name: gw\n  namespace: 5\n", "d.yaml"),
    );
    expect(namespace.name).toBe("InputError");
    expect(namespace.message).toBe(
      "d.yaml:4: Deployment: expected `metadata.namespace` to be a string, found a number (5).",
    );
    const name = syncErrorOf(() => parseManifest("kind: Service\nmetadata:\n  name: [a]\n", "s.yaml"));
    expect(name.message).toBe("s.yaml:3: Service: expected `metadata.name` to be a string, found a list.");
    const item = syncErrorOf(() =>
      parseManifest(
        "kind: List\nitems:\n- kind: ConfigMap\n  metadata: {name: a, namespace: true}\n",
        "l.yaml",
      ),
    );
    expect(item.message).toContain("l.yaml:4: ConfigMap: expected `metadata.namespace` to be a string");
  });

  it("says a List's items must be a list", () => {
    const error = syncErrorOf(() => parseManifest("kind: List\nitems:\n  a: b\n", "l.yaml"));
    expect(error.name).toBe("InputError");
    expect(error.message).toBe("l.yaml:2: List: expected `items` to be a list, found a mapping.");
    const missing = syncErrorOf(() => parseManifest("kind: List\n", "l.yaml"));
    expect(missing.message).toBe("l.yaml:1: List: expected `items` to be a list, found nothing.");
  });

  it("reads .json strictly: a trailing comma or a bare word is malformed JSON at its line", () => {
    const trailing = syncErrorOf(() => parseManifest('{\n  "kind": "ConfigMap",\n  "a": 1,\n}', "t.json"));
    expect(trailing.name).toBe("InputError");
    expect(trailing.message).toMatch(/^t\.json:4: malformed JSON: .* at column 1 \(expected valid JSON\)\.$/);
    const bare = syncErrorOf(() =>
      parseManifest('{"kind": "ConfigMap", "metadata": {"name": "a"},\n "value": "x", oops}', "b.json"),
    );
    expect(bare.message).toMatch(/^b\.json:2: malformed JSON: .*column 16/);
    const truncated = syncErrorOf(() => parseManifest('{\n  "kind":\n\n', "c.json"));
    expect(truncated.message).toMatch(
      /^c\.json:2: malformed JSON: unexpected end of the input at column 10 /,
    );
  });

  it("reports a JSON syntax error at its own line and column, not at the last line", () => {
    const text =
      '{\n  "kind": "ConfigMap",\n  "metadata": {"name": "a"},\n  "data": {"a": "1" "b": "2"},\n  "x": 1,\n  "y": 2\n}\n';
    expect(syncErrorOf(() => parseManifest(text, "d.json")).message).toBe(
      "d.json:4: malformed JSON: expected ',' or '}' after a value at column 21 (expected valid JSON).",
    );
    const control = syncErrorOf(() => parseManifest('{"kind": "a\nb"}', "e.json"));
    expect(control.message).toMatch(/^e\.json:1: malformed JSON: a control character .* at column 12 /);
  });

  it("refuses brackets nested deeper than 500 levels (YAML or JSON), but not brackets inside strings", () => {
    const deep = `kind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: ${"[".repeat(501)}${"]".repeat(501)}\n`;
    expect(syncErrorOf(() => parseManifest(deep, "deep.yaml")).message).toBe(
      "deep.yaml:4: refused: brackets nested more than 500 levels deep (expected a Kubernetes manifest).",
    );
    const json = `{"kind": "ConfigMap", "metadata": {"name": "a"}, "x": ${"[".repeat(600)}${"]".repeat(600)}}`;
    expect(syncErrorOf(() => parseManifest(json, "deep.json")).message).toMatch(/^deep\.json:1: refused/);
    const quoted = `kind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: "${"[".repeat(600)}" # ${"{".repeat(600)}\n  y: '${"{".repeat(600)}'\n`;
    expect(parseManifest(quoted, "q.yaml")[0].object.data).toEqual({
      x: "[".repeat(600),
      y: "{".repeat(600),
    });
  });

  it("refuses a key written twice in one YAML mapping, at the second one's line", () => {
    const text = "kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: 1\n  j: 2\n  k: 3\n";
    expect(syncErrorOf(() => parseManifest(text, "dup.yaml")).message).toBe(
      'dup.yaml:7: malformed YAML: the key "k" appears twice in one mapping (expected each key once).',
    );
  });

  it("refuses labels and annotations that are mappings or lists, at their line", () => {
    const text =
      "kind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n    metadata:\n      labels:\n        app:\n          toString: 1\n";
    expect(syncErrorOf(() => parseManifest(text, "l.yaml")).message).toBe(
      'l.yaml:8: Deployment: expected `spec.template.metadata.labels` "app" to be a string, found a mapping.',
    );
    const annotations = syncErrorOf(() =>
      parseManifest("kind: A\nmetadata:\n  name: a\n  annotations: [x]\n", "a.yaml"),
    );
    expect(annotations.message).toBe(
      "a.yaml:4: A: expected `metadata.annotations` to be a mapping of strings, found a list.",
    );
  });

  it("keeps object and field lines for JSON, even with a BOM or duplicate keys", () => {
    const text =
      '\uFEFF{\n  "kind": "ConfigMap",\n  "metadata": {"name": "a"},\n  "data": {"k": "1", "k": "2"}\n}';
    const [object] = parseManifest(text, "a.json");
    expect(object.object.data).toEqual({ k: "2" });
    expect(object.lineOf(["data"])).toBe(4);
    expect(object.lineOf(["metadata", "name"])).toBe(3);
  });

  it("reads stdin starting with { or [ as JSON, anything else as YAML", () => {
    const error = syncErrorOf(() => parseManifest('\n {"kind": "ConfigMap", oops}', stdinName));
    expect(error.message).toMatch(/^<stdin>:2: malformed JSON: /);
    const objects = parseManifest("kind: ConfigMap\nmetadata: {name: a}\n", stdinName);
    expect(objects.map((o) => o.object.metadata.name)).toEqual(["a"]);
  });
});

describe("loadInputs", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gg-load-"));
    await mkdir(join(dir, "tree", "b", "c"), { recursive: true });
    await writeFile(join(dir, "tree", "b", "c", "2.yml"), "kind: Service\nmetadata: {name: s2}\n");
    await writeFile(join(dir, "tree", "b", "1.json"), '{"kind": "Service", "metadata": {"name": "s1"}}');
    await writeFile(join(dir, "tree", "a.yaml"), "kind: Service\nmetadata: {name: s0}\n");
    await writeFile(join(dir, "tree", "notes.txt"), "not: yaml: at: all: [");
    await writeFile(join(dir, "tree", "README.md"), "# not read");
    await writeFile(join(dir, "one.yaml"), multiDoc);
    await writeFile(join(dir, "empty.yaml"), "# nothing here\n");
    await writeFile(
      join(dir, "big.yaml"),
      "kind: ConfigMap\nmetadata: {name: a}\n" + "#".repeat(4096) + "\n",
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads files in the order given", async () => {
    const objects = await loadInputs([join(dir, "one.yaml"), join(dir, "tree", "a.yaml")]);
    expect(objects.map((o) => o.object.metadata.name)).toEqual(["gw-env", "gw", "s0"]);
    expect(objects[2].file).toBe(join(dir, "tree", "a.yaml"));
  });

  it("reads every .yaml/.yml/.json below a directory, sorted by path", async () => {
    const objects = await loadInputs([join(dir, "tree")]);
    expect(objects.map((o) => o.object.metadata.name)).toEqual(["s0", "s1", "s2"]);
    expect(objects.map((o) => o.file)).toEqual([
      join(dir, "tree", "a.yaml"),
      join(dir, "tree", "b", "1.json"),
      join(dir, "tree", "b", "c", "2.yml"),
    ]);
  });

  it("reads stdin from a string or a stream, named <stdin>", async () => {
    const fromString = await loadInputs(["-"], { stdin: multiDoc });
    expect(fromString.map((o) => o.object.kind)).toEqual(["ConfigMap", "Deployment"]);
    expect(fromString[1].file).toBe(stdinName);
    expect(fromString[1].line).toBe(12);
    const stream = Readable.from([Buffer.from(multiDoc.slice(0, 50)), Buffer.from(multiDoc.slice(50))]);
    const fromStream = await loadInputs(["-"], { stdin: stream });
    expect(fromStream.map((o) => o.lineOf(["metadata", "name"]))).toEqual([6, 15]);
  });

  it("refuses stdin over the size limit", async () => {
    const stream = Readable.from([Buffer.alloc(600, 0x23), Buffer.alloc(600, 0x23)]);
    const error = await errorOf(loadInputs(["-"], { stdin: stream, maxBytes: 1024 }));
    expect(error.name).toBe("InputError");
    expect(error.message).toBe("<stdin>: refused: larger than the limit of 1 KiB per input.");
  });

  it("refuses a file over the size limit before reading it", async () => {
    const error = await errorOf(loadInputs([join(dir, "big.yaml")], { maxBytes: 1024 }));
    expect(error.name).toBe("InputError");
    expect(error.message).toContain("big.yaml: refused: larger than the limit of 1 KiB");
  });

  it("uses 5 MiB as the default limit", async () => {
    const error = await errorOf(loadInputs(["-"], { stdin: "#".repeat(5 * 1024 * 1024 + 1) }));
    expect(error.message).toBe("<stdin>: refused: larger than the limit of 5 MiB per input.");
  });

  it("refuses empty input", async () => {
    const error = await errorOf(loadInputs([join(dir, "empty.yaml")]));
    expect(error.name).toBe("InputError");
    expect(error.message).toContain("No Kubernetes objects found in");
    expect(error.message).toContain("empty.yaml");
    const stdin = await errorOf(loadInputs(["-"], { stdin: "" }));
    expect(stdin.message).toBe(
      "No Kubernetes objects found in <stdin>: expected YAML or JSON documents with a `kind`.",
    );
    expect((await errorOf(loadInputs([]))).name).toBe("InputError");
  });

  it("refuses unreadable paths", async () => {
    const missing = await errorOf(loadInputs([join(dir, "nope.yaml")]));
    expect(missing.name).toBe("InputError");
    expect(missing.message).toContain("nope.yaml: cannot read (no such file or directory)");
    expect(missing.message).toContain("expected a readable file, directory or `-`");
  });

  it("names the file and line of a malformed file in a directory", async () => {
    const bad = join(dir, "bad");
    await mkdir(bad);
    await writeFile(join(bad, "x.yaml"), "kind: ConfigMap\nmetadata:\n  name: a\n   bad: indent\n");
    const error = await errorOf(loadInputs([bad]));
    expect(error.name).toBe("InputError");
    expect(error.message.startsWith(`${join(bad, "x.yaml")}:3: malformed YAML: `)).toBe(true);
  });

  it("skips non-Kubernetes files below a directory with a note, but not files named explicitly", async () => {
    const repo = join(dir, "repo");
    await mkdir(join(repo, "k8s", "node_modules", "pkg"), { recursive: true });
    await mkdir(join(repo, ".git"), { recursive: true });
    await writeFile(join(repo, "k8s", "gw.yaml"), "kind: Service\nmetadata: {name: gw}\n");
    await writeFile(
      join(repo, "k8s", "kustomization.yaml"),
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [gw.yaml]\n",
    );
    await writeFile(join(repo, "package.json"), '{"name": "x", "version": "1.0.0"}');
    await writeFile(join(repo, "list.json"), "[1, 2]");
    await writeFile(join(repo, "k8s", "node_modules", "pkg", "bad.yaml"), "a: [\n");
    await writeFile(join(repo, ".git", "config.yaml"), "a: [\n");
    const skipped: string[] = [];
    const objects = await loadInputs([repo], {
      onSkip: ({ file, line, reason }) => skipped.push(`${file}:${line}: ${reason}`),
    });
    expect(objects.map((o) => o.object.metadata.name)).toEqual(["gw"]);
    expect(skipped).toEqual([
      `${join(repo, "k8s", "kustomization.yaml")}:1: Kustomization has no \`metadata.name\`, so it is not an object to check`,
      `${join(repo, "list.json")}:1: not a Kubernetes object (found a list)`,
      `${join(repo, "package.json")}:1: not a Kubernetes object (no \`kind\`)`,
    ]);
    expect((await loadInputs([repo])).length).toBe(1);
    const explicit = await errorOf(
      loadInputs([join(repo, "k8s", "kustomization.yaml")], { onSkip: () => {} }),
    );
    expect(explicit.name).toBe("InputError");
    expect(explicit.message).toContain("kustomization.yaml:1: Kustomization has no `metadata.name`");
    const onlyOther = join(dir, "only-other");
    await mkdir(onlyOther);
    await writeFile(join(onlyOther, "package.json"), "{}");
    expect((await errorOf(loadInputs([onlyOther]))).message).toContain("No Kubernetes objects found in");
  });
});
