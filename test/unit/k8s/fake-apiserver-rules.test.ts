// The fake API server's building blocks on their own: RBAC matching, selector
// parsing, the three patch formats, request routing, and age rendering, each
// checked against what the real implementations do.

import assert from "node:assert/strict";
import { FakeApiServer, type PolicyRule, type RecordedCall, ruleAllows } from "../../support/fake-apiserver";
import { humanDuration } from "../../support/fake-apiserver/duration";
import { ApiError } from "../../support/fake-apiserver/errors";
import { clientsFor, tempDir } from "../../support/fake-apiserver/fixtures";
import { jsonPatch, mergePatch } from "../../support/fake-apiserver/patch";
import { parseRoute } from "../../support/fake-apiserver/request-info";
import { labelsMatch, parseLabelSelector } from "../../support/fake-apiserver/selectors";
import { strategicMergePatch } from "../../support/fake-apiserver/strategic-merge";

function call(o: Partial<RecordedCall>): RecordedCall {
  return { user: "u", verb: "get", apiGroup: "", resource: "nodes", status: 0, ...o };
}

describe("fake API server: RBAC rule matching", () => {
  const rule = (o: Partial<PolicyRule>): PolicyRule[] => [
    { apiGroups: [""], resources: ["nodes"], verbs: ["get"], ...o },
  ];

  it("matches verbs, groups and resources, with * wildcards", () => {
    assert.equal(ruleAllows(rule({}), call({})), true);
    assert.equal(ruleAllows(rule({}), call({ verb: "list" })), false);
    assert.equal(ruleAllows(rule({ verbs: ["*"] }), call({ verb: "delete" })), true);
    assert.equal(
      ruleAllows(rule({}), call({ apiGroup: "bgp.flatroute.io" })),
      false,
      '"" is the core group only',
    );
    assert.equal(ruleAllows(rule({ apiGroups: ["*"] }), call({ apiGroup: "bgp.flatroute.io" })), true);
    assert.equal(ruleAllows(rule({ resources: ["*"] }), call({ resource: "secrets" })), true);
  });

  it("needs the subresource named: nodes does not grant nodes/status", () => {
    const status = call({ verb: "patch", subresource: "status" });
    assert.equal(ruleAllows(rule({ verbs: ["patch"] }), status), false);
    assert.equal(ruleAllows(rule({ verbs: ["patch"], resources: ["nodes/status"] }), status), true);
    assert.equal(ruleAllows(rule({ verbs: ["patch"], resources: ["*/status"] }), status), true);
    assert.equal(ruleAllows(rule({ verbs: ["patch"], resources: ["*"] }), status), true);
    assert.equal(
      ruleAllows(rule({ verbs: ["patch"], resources: ["nodes/status"] }), call({ verb: "patch" })),
      false,
    );
  });

  it("lets resourceNames grant only requests that name one of them", () => {
    const named = rule({ verbs: ["get", "list", "create", "update"], resourceNames: ["mesh"] });
    assert.equal(ruleAllows(named, call({ name: "mesh" })), true);
    assert.equal(ruleAllows(named, call({ name: "other" })), false);
    assert.equal(ruleAllows(named, call({ verb: "update", name: "mesh" })), true);
    assert.equal(ruleAllows(named, call({ verb: "list" })), false, "an unnarrowed list names nothing");
    assert.equal(
      ruleAllows(named, call({ verb: "list", name: "mesh" })),
      true,
      "a list narrowed by metadata.name",
    );
    assert.equal(ruleAllows(named, call({ verb: "create" })), false);
  });

  it("narrows list and watch calls by a metadata.name field selector, as RBAC sees them", async () => {
    const dir = await tempDir();
    const api = await FakeApiServer.start();
    try {
      api.addUser("agent", "t");
      api.setRules("agent", {
        namespaced: {
          ns1: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"], resourceNames: ["mesh"] }],
        },
      });
      const c = await clientsFor(api, dir.path, { user: "agent" });
      api.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ns1" } });
      const ok = await c.core.listNamespacedSecret({ namespace: "ns1", fieldSelector: "metadata.name=mesh" });
      assert.deepEqual(ok.items, []);
      await assert.rejects(c.core.listNamespacedSecret({ namespace: "ns1" }));
      assert.deepEqual(
        api.calls.map((x) => [x.verb, x.name, x.status]),
        [
          ["list", "mesh", 200],
          ["list", undefined, 403],
        ],
      );
    } finally {
      await api.stop();
      await dir.remove();
    }
  });
});

describe("fake API server: label selectors", () => {
  const m = (sel: string, labels: Record<string, string>) => labelsMatch(parseLabelSelector(sel), labels);

  it("supports =, ==, !=, in, notin, exists and !exists", () => {
    assert.equal(m("a=1", { a: "1" }), true);
    assert.equal(m("a==1", { a: "2" }), false);
    assert.equal(m("a!=1", {}), true, "!= matches a missing label");
    assert.equal(m("a in (1, 2),b", { a: "2", b: "" }), true);
    assert.equal(m("a notin (1,2)", {}), true);
    assert.equal(m("a notin (1,2)", { a: "1" }), false);
    assert.equal(m("!a", { b: "x" }), true);
    assert.equal(
      m("node-role.kubernetes.io/control-plane", { "node-role.kubernetes.io/control-plane": "" }),
      true,
    );
    assert.equal(m("", {}), true);
  });

  it("refuses what a real server cannot parse with 400", () => {
    assert.throws(
      () => parseLabelSelector("a in 1"),
      (e: unknown) => e instanceof ApiError && e.code === 400,
    );
  });
});

describe("fake API server: patches", () => {
  it("merge patch (RFC 7386): null deletes, objects merge, lists replace", () => {
    assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] }), {
      a: { c: 2, d: 3 },
      l: [3],
    });
  });

  it("JSON patch (RFC 6902): add, remove, replace, move, copy, test", () => {
    const doc = { metadata: { labels: { "a/b": "1" } }, list: [1, 2] };
    const out = jsonPatch(doc, [
      { op: "add", path: "/metadata/labels/c", value: "2" },
      { op: "remove", path: "/metadata/labels/a~1b" },
      { op: "add", path: "/list/-", value: 3 },
      { op: "replace", path: "/list/0", value: 0 },
      { op: "copy", from: "/list", path: "/copy" },
      { op: "move", from: "/copy", path: "/moved" },
      { op: "test", path: "/moved/2", value: 3 },
    ]);
    assert.deepEqual(out, { metadata: { labels: { c: "2" } }, list: [0, 2, 3], moved: [0, 2, 3] });
    assert.deepEqual(doc.list, [1, 2], "input untouched");
    assert.throws(
      () => jsonPatch(doc, [{ op: "test", path: "/list/0", value: 9 }]),
      (e: unknown) => e instanceof ApiError && e.code === 422,
    );
    assert.throws(
      () => jsonPatch(doc, [{ op: "remove", path: "/missing" }]),
      (e: unknown) => e instanceof ApiError && e.code === 422,
    );
  });

  it("strategic merge patch merges node conditions and addresses by type, finalizers as a set", () => {
    const nodeObj = {
      metadata: { finalizers: ["a"] },
      spec: { taints: [{ key: "x" }] },
      status: {
        conditions: [
          { type: "Ready", status: "True" },
          { type: "MemoryPressure", status: "False" },
        ],
        addresses: [{ type: "InternalIP", address: "192.0.2.1" }],
      },
    };
    const out = strategicMergePatch(
      nodeObj,
      {
        metadata: { finalizers: ["b", "a"] },
        spec: { taints: [{ key: "y" }] },
        status: {
          "$setElementOrder/conditions": [{ type: "Ready" }, { type: "NetworkUnavailable" }],
          conditions: [
            { type: "NetworkUnavailable", status: "False" },
            { type: "Ready", status: "False", reason: "KubeletNotReady" },
            { type: "MemoryPressure", $patch: "delete" },
          ],
          addresses: [{ type: "Hostname", address: "node1" }],
        },
      },
      "Node",
    );
    assert.deepEqual(out, {
      metadata: { finalizers: ["a", "b"] },
      spec: { taints: [{ key: "y" }] },
      status: {
        conditions: [
          { type: "Ready", status: "False", reason: "KubeletNotReady" },
          { type: "NetworkUnavailable", status: "False" },
        ],
        addresses: [
          { type: "InternalIP", address: "192.0.2.1" },
          { type: "Hostname", address: "node1" },
        ],
      },
    });
  });
});

describe("fake API server: routing and rendering", () => {
  it("parses paths like apiserver's RequestInfoFactory", () => {
    assert.deepEqual(parseRoute("/api/v1/nodes/n1/status"), {
      kind: "resource",
      group: "",
      version: "v1",
      plural: "nodes",
      name: "n1",
      subresource: "status",
      watchPath: false,
      tooLong: false,
    });
    assert.deepEqual(parseRoute("/api/v1/namespaces/ns1"), {
      kind: "resource",
      group: "",
      version: "v1",
      plural: "namespaces",
      namespace: "ns1",
      name: "ns1",
      watchPath: false,
      tooLong: false,
    });
    const cr = parseRoute("/apis/example.io/v1/watch/namespaces/ns1/widgets");
    assert.equal(cr.kind, "resource");
    if (cr.kind === "resource") {
      assert.deepEqual(
        [cr.group, cr.namespace, cr.plural, cr.name, cr.watchPath],
        ["example.io", "ns1", "widgets", undefined, true],
      );
    }
    assert.deepEqual(parseRoute("/apis/example.io/v1"), { kind: "nonResource", path: "/apis/example.io/v1" });
  });

  it("renders ages as duration.HumanDuration does", () => {
    const s = 1000;
    assert.equal(humanDuration(59 * s), "59s");
    assert.equal(humanDuration(119 * s), "119s");
    assert.equal(humanDuration(150 * s), "2m30s");
    assert.equal(humanDuration(600 * s), "10m");
    assert.equal(humanDuration(3 * 3600 * s + 5 * 60 * s), "3h5m");
    assert.equal(humanDuration(30 * 3600 * s), "30h");
    assert.equal(humanDuration(50 * 3600 * s), "2d2h");
    assert.equal(humanDuration(400 * 86400 * s), "400d");
    assert.equal(humanDuration(3 * 365 * 86400 * s), "3y");
  });
});
