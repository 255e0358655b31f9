import { describe, expect, it } from "vitest";
import { applyJsonPatch, applyMergePatch, applyPatch, applyStrategicMergePatch, type Json } from "./patch.js";

const deployment: Json = {
  metadata: { name: "gw", annotations: { a: "1" } },
  spec: {
    template: {
      metadata: { labels: { app: "gw" } },
      spec: {
        containers: [
          {
            name: "gw",
            image: "gw:v1",
            env: [
              { name: "A", value: "1" },
              { name: "B", value: "2" },
            ],
          },
          { name: "sidecar", image: "sc:v1" },
        ],
      },
    },
  },
};

describe("applyMergePatch (RFC 7386)", () => {
  it("merges maps, removes with null and replaces lists", () => {
    const patched = applyMergePatch(deployment, {
      metadata: { annotations: { a: null, b: "2" } },
      spec: { template: { spec: { containers: [{ name: "only" }] } } },
    });
    expect(patched).toMatchObject({ metadata: { name: "gw", annotations: { b: "2" } } });
    expect(
      (patched as { spec: { template: { spec: { containers: Json[] } } } }).spec.template.spec.containers,
    ).toEqual([{ name: "only" }]);
    expect(deployment).toMatchObject({ metadata: { annotations: { a: "1" } } });
  });

  it("passes the RFC 7386 examples", () => {
    expect(applyMergePatch({ a: "b" }, { a: "c" })).toEqual({ a: "c" });
    expect(applyMergePatch({ a: [{ b: "c" }] }, { a: [1] })).toEqual({ a: [1] });
    expect(applyMergePatch({ a: "foo" }, "bar")).toBe("bar");
    expect(applyMergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });
});

describe("applyStrategicMergePatch", () => {
  it("adds the restartedAt annotation without touching the containers", () => {
    const patched = applyStrategicMergePatch(deployment, {
      spec: {
        template: {
          metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z" } },
        },
      },
    }) as typeof deployment & { spec: { template: { metadata: { annotations: object }; spec: unknown } } };
    expect(patched.spec.template.metadata.annotations).toEqual({
      "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z",
    });
    expect(patched.spec.template.spec).toEqual(
      (deployment as { spec: { template: { spec: Json } } }).spec.template.spec,
    );
  });

  it("merges containers and env by name, and deletes with $patch", () => {
    const patched = applyStrategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "gw",
                env: [
                  { name: "B", value: "3" },
                  { name: "C", value: "4" },
                ],
              },
              { name: "sidecar", $patch: "delete" },
            ],
          },
        },
      },
    }) as {
      spec: { template: { spec: { containers: Array<{ name: string; image?: string; env?: Json[] }> } } };
    };
    const containers = patched.spec.template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(["gw"]);
    expect(containers[0].image).toBe("gw:v1");
    expect(containers[0].env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "3" },
      { name: "C", value: "4" },
    ]);
  });
});

describe("applyJsonPatch (RFC 6902)", () => {
  it("adds, replaces, removes, moves, copies and tests", () => {
    const result = applyJsonPatch({ a: { b: 1 }, list: [1, 2] }, [
      { op: "add", path: "/a/c", value: 2 },
      { op: "replace", path: "/a/b", value: 5 },
      { op: "add", path: "/list/-", value: 3 },
      { op: "add", path: "/list/0", value: 0 },
      { op: "remove", path: "/list/1" },
      { op: "copy", from: "/a/c", path: "/d" },
      { op: "move", from: "/d", path: "/e~1f" },
      { op: "test", path: "/a/b", value: 5 },
    ]);
    expect(result).toEqual({ a: { b: 5, c: 2 }, list: [0, 2, 3], "e/f": 2 });
  });

  it("fails a test operation with 422 and an object body with 400", () => {
    expect(() => applyJsonPatch({ a: 1 }, [{ op: "test", path: "/a", value: 2 }])).toThrow(
      expect.objectContaining({ status: expect.objectContaining({ code: 422 }) }),
    );
    expect(() => applyJsonPatch({ a: 1 }, { a: 2 })).toThrow(
      expect.objectContaining({
        status: expect.objectContaining({
          code: 400,
          message: "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
        }),
      }),
    );
  });
});

describe("applyPatch", () => {
  it("answers other content types with 415 UnsupportedMediaType", () => {
    expect(() => applyPatch("application/json", {}, {})).toThrow(
      expect.objectContaining({
        status: expect.objectContaining({ code: 415, reason: "UnsupportedMediaType" }),
      }),
    );
  });
});
