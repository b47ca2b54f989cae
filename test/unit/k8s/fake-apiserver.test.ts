// The fake API server driven by the real @kubernetes/client-node 1.x: what the
// agent does against a cluster (nodes, node status, custom resources, auth)
// must behave here as it does against a real kube-apiserver.

import assert from "node:assert/strict";
import { request } from "node:http";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { FakeApiServer } from "../../support/fake-apiserver";
import {
  type Clients,
  clientsFor,
  failureOf,
  GROUP,
  node,
  plain,
  statusCrd,
  tempDir,
  VERSION,
  widgetCrd,
} from "../../support/fake-apiserver/fixtures";

// client-node's generated patch methods send application/json-patch+json; a merge
// or strategic merge body needs the Content-Type set per call like this:
const strategicMerge = () => k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch);
const mergePatch = () => k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

describe("fake API server with client-node", () => {
  let api: FakeApiServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let c: Clients;

  beforeEach(async () => {
    dir = await tempDir();
    api = await FakeApiServer.start();
    c = await clientsFor(api, dir.path);
  });

  afterEach(async () => {
    await api.stop();
    await dir.remove();
  });

  it("writes a kubeconfig client-node loads (plain HTTP needs insecure-skip-tls-verify)", () => {
    const cluster = c.kc.getCurrentCluster();
    assert.equal(cluster?.server, api.url);
    assert.equal(cluster?.skipTLSVerify, true);
    assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("lists and reads nodes with real-server metadata", async () => {
    api.create(node("node1", { zone: "a" }));
    const list = await c.core.listNode();
    assert.equal(list.items.length, 1);
    assert.equal(list.metadata?.resourceVersion, api.resourceVersion);
    const n = await c.core.readNode({ name: "node1" });
    assert.equal(n.kind, "Node");
    assert.equal(n.apiVersion, "v1");
    assert.match(n.metadata?.uid ?? "", /^[0-9a-f-]{36}$/);
    assert.ok(n.metadata?.creationTimestamp instanceof Date);
    assert.equal(n.metadata?.generation, undefined, "nodes carry no generation");
    assert.equal(n.spec?.podCIDR, "10.244.1.0/24", "podCIDR mirrors podCIDRs[0]");
    const labelled = await c.core.listNode({ labelSelector: "zone in (a,b),!gone" });
    assert.equal(labelled.items.length, 1);
    assert.equal((await c.core.listNode({ labelSelector: "zone!=a" })).items.length, 0);
    assert.equal((await c.core.listNode({ fieldSelector: "metadata.name=node2" })).items.length, 0);
  });

  it("merges node status conditions by type with a strategic merge patch", async () => {
    api.create(node("node1"));
    const before = await c.core.readNode({ name: "node1" });
    const condition = {
      type: "NetworkUnavailable",
      status: "False",
      reason: "FlatrouteIsUp",
      message: "flatroute advertises this node's Pod CIDRs",
      lastTransitionTime: "2024-01-01T00:00:00Z",
    };
    await c.core.patchNodeStatus(
      { name: "node1", body: { status: { conditions: [condition] } } },
      strategicMerge(),
    );
    let n = await c.core.readNode({ name: "node1" });
    assert.deepEqual(
      n.status?.conditions?.map((x) => [x.type, x.status]),
      [
        ["Ready", "True"],
        ["NetworkUnavailable", "False"],
      ],
    );
    await c.core.patchNodeStatus(
      { name: "node1", body: { status: { conditions: [{ ...condition, status: "True", reason: "Down" }] } } },
      strategicMerge(),
    );
    n = await c.core.readNode({ name: "node1" });
    assert.equal(n.status?.conditions?.length, 2);
    assert.equal(n.status?.conditions?.find((x) => x.type === "NetworkUnavailable")?.reason, "Down");
    assert.notEqual(n.metadata?.resourceVersion, before.metadata?.resourceVersion);
    // a merge patch replaces the whole list: the reason the agent must use strategic merge
    await c.core.patchNodeStatus(
      { name: "node1", body: { status: { conditions: [condition] } } },
      mergePatch(),
    );
    n = await c.core.readNode({ name: "node1" });
    assert.deepEqual(
      n.status?.conditions?.map((x) => x.type),
      ["NetworkUnavailable"],
    );
  });

  it("keeps spec out of /status writes and status out of main-resource writes", async () => {
    api.create(node("node1"));
    await c.core.patchNodeStatus(
      {
        name: "node1",
        body: {
          metadata: { labels: { via: "status" } },
          spec: { unschedulable: true },
          status: { phase: "x" },
        },
      },
      mergePatch(),
    );
    let n = await c.core.readNode({ name: "node1" });
    assert.equal(n.spec?.unschedulable, undefined);
    assert.equal(n.metadata?.labels?.["via"], undefined);
    assert.equal(n.status?.phase, "x");
    // default content type of the generated method: JSON patch
    await c.core.patchNode({
      name: "node1",
      body: [
        { op: "add", path: "/metadata/labels/role", value: "tor" },
        { op: "replace", path: "/status/phase", value: "ignored" },
      ],
    });
    n = await c.core.readNode({ name: "node1" });
    assert.equal(n.metadata?.labels?.["role"], "tor");
    assert.equal(n.status?.phase, "x");
  });

  it("refuses a stale resourceVersion (409 Conflict) and an existing name (409 AlreadyExists)", async () => {
    api.create(node("node1"));
    const n = await c.core.readNode({ name: "node1" });
    n.metadata!.labels = { first: "yes" };
    await c.core.replaceNode({ name: "node1", body: n });
    n.metadata!.labels = { second: "yes" };
    const stale = await failureOf(c.core.replaceNode({ name: "node1", body: n }));
    assert.equal(stale.code, 409);
    assert.equal(stale.body["reason"], "Conflict");
    assert.equal(
      stale.body["message"],
      'Operation cannot be fulfilled on nodes "node1": the object has been modified; please apply your changes to the latest version and try again',
    );
    const dup = await failureOf(c.core.createNode({ body: { metadata: { name: "node1" } } }));
    assert.equal(dup.code, 409);
    assert.equal(dup.body["reason"], "AlreadyExists");
    assert.equal(dup.body["message"], 'nodes "node1" already exists');
  });

  it("keeps podCIDRs immutable once set, as a real server does", async () => {
    api.create(node("node1"));
    const f = await failureOf(
      c.core.patchNode({ name: "node1", body: { spec: { podCIDRs: ["10.244.9.0/24"] } } }, mergePatch()),
    );
    assert.equal(f.code, 422);
    assert.equal(f.body["reason"], "Invalid");
  });

  it("answers 404 for custom resources until their CRD exists, and again after it is deleted", async () => {
    const plural = "bgpnodestatuses";
    const missing = await failureOf(
      c.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }),
    );
    assert.equal(missing.code, 404);
    assert.equal(missing.body["reason"], "NotFound");
    assert.equal(missing.body["kind"], "Status");

    await c.ext.createCustomResourceDefinition({
      body: plain(statusCrd()) as k8s.V1CustomResourceDefinition,
    });
    const crd = await c.ext.readCustomResourceDefinition({ name: `${plural}.${GROUP}` });
    assert.equal(crd.status?.conditions?.find((x) => x.type === "Established")?.status, "True");

    const created = await c.custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural,
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "BGPNodeStatus",
        metadata: { name: "node1" },
        status: { dropped: true },
      },
    });
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.status, undefined, "status is not writable through the main resource");
    const list = await c.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural });
    assert.equal(list.kind, "BGPNodeStatusList");
    assert.equal(list.items[0].kind, "BGPNodeStatus", "custom resource list items carry kind");

    const patched = await c.custom.patchClusterCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        plural,
        name: "node1",
        body: { status: { sessions: "1/2", asn: 64512 } },
      },
      mergePatch(),
    );
    assert.equal(patched.status.sessions, "1/2");
    assert.equal(patched.metadata.generation, 1, "status writes do not bump generation");
    const got = await c.custom.getClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural,
      name: "node1",
    });
    assert.equal(got.metadata.resourceVersion, patched.metadata.resourceVersion);

    const spec = await c.custom.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural, name: "node1", body: { spec: { x: 1 } } },
      mergePatch(),
    );
    assert.equal(spec.metadata.generation, 2);
    const smp = await failureOf(
      c.custom.patchClusterCustomObject(
        { group: GROUP, version: VERSION, plural, name: "node1", body: { spec: { x: 2 } } },
        strategicMerge(),
      ),
    );
    assert.equal(smp.code, 415, "custom resources have no strategic merge patch");

    await c.ext.deleteCustomResourceDefinition({ name: `${plural}.${GROUP}` });
    const gone = await failureOf(
      c.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }),
    );
    assert.equal(gone.code, 404);
  });

  it("serves namespaced custom resources and core objects in namespaces", async () => {
    api.installCrd(widgetCrd());
    const ns = "flatroute-system";
    const noNs = await failureOf(
      c.custom.createNamespacedCustomObject({
        group: "example.io",
        version: "v1",
        namespace: ns,
        plural: "widgets",
        body: { metadata: { name: "w" } },
      }),
    );
    assert.equal(noNs.code, 404);
    assert.equal(noNs.body["message"], `namespaces "${ns}" not found`);
    await c.core.createNamespace({ body: { metadata: { name: ns } } });
    await c.custom.createNamespacedCustomObject({
      group: "example.io",
      version: "v1",
      namespace: ns,
      plural: "widgets",
      body: { apiVersion: "example.io/v1", kind: "Widget", metadata: { name: "w" } },
    });
    assert.equal(api.get("example.io/v1", "Widget", "w", ns)?.metadata.namespace, ns);
    await c.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "mesh" }, stringData: { password: "s3cret" } },
    });
    const secret = await c.core.readNamespacedSecret({ namespace: ns, name: "mesh" });
    assert.equal(Buffer.from(secret.data?.["password"] ?? "", "base64").toString(), "s3cret");
    assert.equal(secret.type, "Opaque");
    await c.core.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { name: "e1" },
        involvedObject: { kind: "Node", name: "node1" },
        reason: "PeerUp",
        message: "up",
      },
    });
    const events = await c.core.listEventForAllNamespaces({ fieldSelector: "involvedObject.name=node1" });
    assert.deepEqual(
      events.items.map((e) => e.reason),
      ["PeerUp"],
    );
    assert.equal(api.list("v1", "Event", ns).length, 1);
    // one storage, two APIs: events.k8s.io/v1 names the fields differently
    const v1 = c.kc.makeApiClient(k8s.EventsV1Api);
    const same = await v1.readNamespacedEvent({ namespace: ns, name: "e1" });
    assert.equal(same.note, "up");
    assert.equal(same.regarding?.name, "node1");
    await v1.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { name: "e2" },
        eventTime: new k8s.V1MicroTime("2024-01-01T00:00:00.000000Z"),
        regarding: { kind: "Node", name: "node2" },
        reason: "PeerDown",
        note: "down",
        action: "Connect",
        reportingController: "flatroute.io/agent",
        reportingInstance: "node2",
        type: "Warning",
      },
    });
    const core = await c.core.readNamespacedEvent({ namespace: ns, name: "e2" });
    assert.equal(core.message, "down");
    assert.equal(core.involvedObject.name, "node2");
  });

  it("serves discovery: /api, /api/v1, /apis (with every CRD group), /version; /openapi answers 404", async () => {
    api.installCrd(statusCrd());
    const get = async (path: string) => {
      const res = await fetch(`${api.url}${path}`, { headers: { Authorization: "Bearer admin-token" } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const core = await get("/api/v1");
    const resources = core.body["resources"] as Array<{
      name: string;
      namespaced: boolean;
      verbs: string[];
      shortNames?: string[];
    }>;
    assert.deepEqual(resources.find((r) => r.name === "nodes")?.shortNames, ["no"]);
    assert.deepEqual(resources.find((r) => r.name === "nodes/status")?.verbs, ["get", "patch", "update"]);
    assert.equal(resources.find((r) => r.name === "secrets")?.namespaced, true);
    const groups = (await get("/apis")).body["groups"] as Array<{ name: string }>;
    assert.deepEqual(
      groups.map((g) => g.name),
      ["apiextensions.k8s.io", "events.k8s.io", GROUP],
    );
    const crs = (await get(`/apis/${GROUP}/${VERSION}`)).body["resources"] as Array<{
      name: string;
      kind: string;
    }>;
    assert.deepEqual(
      crs.map((r) => `${r.name} ${r.kind}`),
      ["bgpnodestatuses BGPNodeStatus", "bgpnodestatuses/status BGPNodeStatus"],
    );
    assert.equal((await get("/version")).body["gitVersion"], "v1.31.0");
    assert.equal((await get("/openapi/v2")).status, 404);
    const unknown = await get("/apis/nope.io/v1/things");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body["message"], "the server could not find the requested resource");
  });

  it("answers kubectl's Table requests with the CRD's printer columns", async () => {
    api.installCrd(statusCrd());
    api.create({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "BGPNodeStatus",
      metadata: { name: "n1" },
      status: { sessions: "3/4", asn: 65001 },
    });
    const res = await fetch(`${api.url}/apis/${GROUP}/${VERSION}/bgpnodestatuses`, {
      headers: {
        Authorization: "Bearer admin-token",
        Accept:
          "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
      },
    });
    const table = (await res.json()) as {
      kind: string;
      columnDefinitions: Array<{ name: string; type: string }>;
      rows: Array<{ cells: unknown[]; object: { kind: string } }>;
    };
    assert.equal(table.kind, "Table");
    assert.deepEqual(
      table.columnDefinitions.map((x) => `${x.name}:${x.type}`),
      ["Name:string", "Sessions:string", "ASN:integer", "Age:date"],
    );
    assert.deepEqual(table.rows[0]!.cells.slice(0, 3), ["n1", "3/4", 65001]);
    assert.match(String(table.rows[0]!.cells[3]), /^\d+s$/, "dates are rendered as ages by the server");
    assert.equal(table.rows[0]!.object.kind, "PartialObjectMetadata");
  });

  it("keeps the resourceVersion on a write that changes nothing", async () => {
    api.create(node("node1", { a: "1" }));
    const rv = api.resourceVersion;
    const n = await c.core.patchNode(
      { name: "node1", body: { metadata: { labels: { a: "1" } } } },
      mergePatch(),
    );
    assert.equal(n.metadata?.resourceVersion, rv);
    assert.equal(api.resourceVersion, rv);
    await c.core.patchNodeStatus(
      { name: "node1", body: { status: { conditions: [{ type: "Ready", status: "True" }] } } },
      strategicMerge(),
    );
    assert.equal(api.resourceVersion, rv);
    const changed = await c.core.patchNode(
      { name: "node1", body: { metadata: { labels: { a: "2" } } } },
      mergePatch(),
    );
    assert.equal(Number(changed.metadata?.resourceVersion), Number(rv) + 1);
  });

  it("answers 401 without a known token and 403 outside a user's rules, recording every call", async () => {
    api.create(node("node1"));
    api.addUser("agent", "agent-token");
    api.setRules("agent", {
      cluster: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] }],
      namespaced: {
        "flatroute-system": [
          { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: ["mesh"] },
        ],
      },
    });
    const agent = await clientsFor(api, dir.path, { user: "agent" });
    const stranger = await clientsFor(api, dir.path, { user: "stranger", token: "no-such-token" });
    api.calls.length = 0;

    assert.equal((await agent.core.listNode()).items.length, 1);
    const denied = await failureOf(
      agent.core.patchNodeStatus({ name: "node1", body: { status: {} } }, strategicMerge()),
    );
    assert.equal(denied.code, 403);
    assert.equal(denied.body["reason"], "Forbidden");
    assert.equal(
      denied.body["message"],
      'nodes "node1" is forbidden: User "agent" cannot patch resource "nodes/status" in API group "" at the cluster scope',
    );
    const secret = await failureOf(
      agent.core.readNamespacedSecret({ namespace: "flatroute-system", name: "other" }),
    );
    assert.equal(secret.code, 403);
    assert.equal(
      secret.body["message"],
      'secrets "other" is forbidden: User "agent" cannot get resource "secrets" in API group "" in the namespace "flatroute-system"',
    );
    const unauth = await failureOf(stranger.core.listNode());
    assert.equal(unauth.code, 401);
    // client-node drops 401 bodies; read it directly
    const raw = await fetch(`${api.url}/api/v1/nodes`, { headers: { Authorization: "Bearer wrong" } });
    assert.equal(raw.status, 401);
    assert.deepEqual(await raw.json(), {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    });

    assert.deepEqual(api.calls, [
      { user: "agent", verb: "list", apiGroup: "", resource: "nodes", status: 200 },
      {
        user: "agent",
        verb: "patch",
        apiGroup: "",
        resource: "nodes",
        subresource: "status",
        name: "node1",
        status: 403,
      },
      {
        user: "agent",
        verb: "get",
        apiGroup: "",
        resource: "secrets",
        namespace: "flatroute-system",
        name: "other",
        status: 403,
      },
      { user: "system:anonymous", verb: "list", apiGroup: "", resource: "nodes", status: 401 },
      { user: "system:anonymous", verb: "list", apiGroup: "", resource: "nodes", status: 401 },
    ]);
  });

  it("goes away on pause() and comes back on the same URL on resume()", async () => {
    api.create(node("node1"));
    const url = api.url;
    await api.pause();
    await assert.rejects(c.core.listNode(), (err: unknown) => {
      const text = String(
        err instanceof Error ? `${err.message} ${String((err as { code?: unknown }).code)}` : err,
      );
      return /ECONNREFUSED/.test(text);
    });
    await api.resume();
    assert.equal(api.url, url);
    assert.equal((await c.core.listNode()).items.length, 1, "state survives the outage");
  });

  it("also listens on a UNIX socket", async () => {
    const socketPath = join(dir.path, "api.sock");
    const local = await FakeApiServer.start({ port: null, socketPath });
    try {
      local.create(node("node1"));
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          { socketPath, path: "/api/v1/nodes", headers: { Authorization: "Bearer admin-token" } },
          (res) => {
            let text = "";
            res.on("data", (d: Buffer) => {
              text += d.toString();
            });
            res.on("end", () => resolve(text));
          },
        );
        req.on("error", reject);
        req.end();
      });
      const list = JSON.parse(body) as { kind: string; items: Array<{ metadata: { name: string } }> };
      assert.equal(list.kind, "NodeList");
      assert.deepEqual(
        list.items.map((i) => i.metadata.name),
        ["node1"],
      );
    } finally {
      await local.stop();
    }
  });
});
