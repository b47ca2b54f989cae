// Watches and informers against the fake API server, through client-node's own
// Watch and ListWatch: resuming from a resourceVersion, 410 Expired and the
// relist it forces, bookmarks, timeouts, selectors, and no event for no-ops.

import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { waitFor } from "../../lab/wait";
import { FakeApiServer, type KubeObject } from "../../support/fake-apiserver";
import {
  type Clients,
  clientsFor,
  GROUP,
  node,
  statusCrd,
  tempDir,
  VERSION,
} from "../../support/fake-apiserver/fixtures";

interface Seen {
  type: string;
  object: Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string } };
}

/** A client-node Watch whose events and end are observable. */
class Recorder {
  readonly events: Seen[] = [];
  ended = false;
  endError: unknown = undefined;
  private controller: AbortController | undefined;

  async start(
    kc: k8s.KubeConfig,
    path: string,
    query: Record<string, string | number | boolean>,
  ): Promise<this> {
    this.controller = await new k8s.Watch(kc).watch(
      path,
      query,
      (type, object) => this.events.push({ type, object: object as Seen["object"] }),
      (err) => {
        this.ended = true;
        this.endError = err;
      },
    );
    return this;
  }

  names(): string[] {
    return this.events.map((e) => `${e.type} ${e.object.metadata?.name ?? ""}`);
  }

  stop(): void {
    this.controller?.abort();
  }
}

const eventually = { timeoutMs: 5000, intervalMs: 10 };

describe("fake API server watches", () => {
  let api: FakeApiServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let c: Clients;
  const recorders: Recorder[] = [];

  async function watch(
    path: string,
    query: Record<string, string | number | boolean> = {},
  ): Promise<Recorder> {
    const r = await new Recorder().start(c.kc, path, query);
    recorders.push(r);
    return r;
  }

  beforeEach(async () => {
    dir = await tempDir();
    api = await FakeApiServer.start({ bookmarkIntervalMs: 50, historyLimit: 50 });
    c = await clientsFor(api, dir.path);
  });

  afterEach(async () => {
    for (const r of recorders.splice(0)) r.stop();
    await api.stop();
    await dir.remove();
  });

  it("replays what happened after a resourceVersion, then streams live", async () => {
    api.create(node("n1"));
    const from = api.resourceVersion;
    api.create(node("n2"));
    api.apply({ ...node("n1", { changed: "yes" }) });
    const w = await watch("/api/v1/nodes", { resourceVersion: from });
    api.delete("v1", "Node", "n2");
    await waitFor(() => w.names(), { ...eventually, what: "three events", until: (n) => n.length >= 3 });
    assert.deepEqual(w.names(), ["ADDED n2", "MODIFIED n1", "DELETED n2"]);
    assert.equal(w.events[1]!.object["kind"], "Node", "watch objects carry kind");
    assert.equal(
      w.events[2]!.object.metadata?.resourceVersion,
      api.resourceVersion,
      "a deletion has its own resourceVersion",
    );
  });

  it("starts with ADDED for every object when no resourceVersion is given", async () => {
    api.create(node("n1"));
    api.create(node("n2"));
    const w = await watch("/api/v1/nodes");
    await waitFor(() => w.names(), { ...eventually, what: "initial events", until: (n) => n.length >= 2 });
    assert.deepEqual(w.names(), ["ADDED n1", "ADDED n2"]);
  });

  it("sends one 410 Expired ERROR event and ends when the history is gone", async () => {
    api.create(node("n1"));
    const old = api.resourceVersion;
    api.create(node("n2"));
    api.compact();
    const w = await watch("/api/v1/nodes", { resourceVersion: old });
    await waitFor(() => w.ended, { ...eventually, what: "the stream to end" });
    assert.equal(w.events.length, 1);
    assert.equal(w.events[0]!.type, "ERROR");
    assert.deepEqual(w.events[0]!.object, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `too old resource version: ${old} (${api.resourceVersion})`,
      reason: "Expired",
      code: 410,
    });
    const current = await watch("/api/v1/nodes", { resourceVersion: api.resourceVersion });
    api.create(node("n3"));
    await waitFor(() => current.names(), { ...eventually, what: "n3", until: (n) => n.includes("ADDED n3") });
  });

  it("forgets history beyond historyLimit", async () => {
    api.create(node("n0"));
    const old = api.resourceVersion;
    for (let i = 0; i < 60; i++) api.apply(node("n0", { i: String(i) }));
    const w = await watch("/api/v1/nodes", { resourceVersion: old });
    await waitFor(() => w.ended, { ...eventually, what: "the stream to end" });
    assert.equal(w.events[0]?.object["code"], 410);
  });

  it("sends BOOKMARK events carrying only the current resourceVersion", async () => {
    api.create(node("n1"));
    const w = await watch("/api/v1/nodes", {
      resourceVersion: api.resourceVersion,
      allowWatchBookmarks: true,
    });
    const seen = await waitFor(() => w.events.find((e) => e.type === "BOOKMARK"), {
      ...eventually,
      what: "a bookmark",
    });
    assert.deepEqual(seen?.object, {
      kind: "Node",
      apiVersion: "v1",
      metadata: { resourceVersion: api.resourceVersion },
    });
    const plain = await watch("/api/v1/nodes", { resourceVersion: api.resourceVersion });
    api.create(node("n2"));
    await waitFor(() => plain.names(), { ...eventually, what: "n2", until: (n) => n.includes("ADDED n2") });
    assert.ok(
      plain.events.every((e) => e.type !== "BOOKMARK"),
      "no bookmarks unless asked for",
    );
  });

  it("ends a watch after timeoutSeconds", async () => {
    const started = Date.now();
    const w = await watch("/api/v1/nodes", { timeoutSeconds: 1 });
    await waitFor(() => w.ended, { ...eventually, what: "the stream to end" });
    assert.ok(Date.now() - started >= 900);
    assert.equal(w.endError, null);
  });

  it("applies label and field selectors, turning objects that stop matching into DELETED", async () => {
    const w = await watch("/api/v1/nodes", {
      labelSelector: "role=tor",
      resourceVersion: api.resourceVersion,
    });
    const f = await watch("/api/v1/nodes", {
      fieldSelector: "metadata.name=n2",
      resourceVersion: api.resourceVersion,
    });
    api.create(node("n1", { role: "tor" }));
    api.create(node("n2"));
    api.apply(node("n1", { role: "leaf" }));
    api.apply(node("n1", { role: "tor" }));
    await waitFor(() => w.names(), { ...eventually, what: "three events", until: (n) => n.length >= 3 });
    assert.deepEqual(w.names(), ["ADDED n1", "DELETED n1", "ADDED n1"]);
    await waitFor(() => f.names(), { ...eventually, what: "n2", until: (n) => n.length >= 1 });
    assert.deepEqual(f.names(), ["ADDED n2"]);
  });

  it("emits no event for a write that changes nothing", async () => {
    api.create(node("n1", { a: "1" }));
    const rv = api.resourceVersion;
    const w = await watch("/api/v1/nodes", { resourceVersion: rv });
    api.apply(node("n1", { a: "1" }));
    api.patchStatus("v1", "Node", "n1", node("n1")["status"]);
    assert.equal(api.resourceVersion, rv, "nothing changed");
    api.patchStatus("v1", "Node", "n1", { phase: "Running" });
    api.apply(node("n1", { a: "2" }));
    await waitFor(() => w.events.length, { ...eventually, what: "two events", until: (n) => n >= 2 });
    assert.deepEqual(
      w.events.map((e) => e.object.metadata?.resourceVersion),
      [String(Number(rv) + 1), String(Number(rv) + 2)],
    );
  });

  it("watches custom resources once their CRD exists", async () => {
    api.installCrd(statusCrd());
    const w = await watch(`/apis/${GROUP}/${VERSION}/bgpnodestatuses`, { allowWatchBookmarks: true });
    api.create({ apiVersion: `${GROUP}/${VERSION}`, kind: "BGPNodeStatus", metadata: { name: "n1" } });
    api.patchStatus(`${GROUP}/${VERSION}`, "BGPNodeStatus", "n1", { sessions: "0/1" });
    await waitFor(() => w.names(), {
      ...eventually,
      what: "two events",
      until: (n) => n.filter((x) => !x.startsWith("BOOKMARK")).length >= 2,
    });
    assert.deepEqual(
      w.names().filter((x) => !x.startsWith("BOOKMARK")),
      ["ADDED n1", "MODIFIED n1"],
    );
    const bookmark = await waitFor(() => w.events.find((e) => e.type === "BOOKMARK"), {
      ...eventually,
      what: "a bookmark",
    });
    assert.equal(bookmark?.object["kind"], "BGPNodeStatus");
    api.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", `bgpnodestatuses.${GROUP}`);
    await waitFor(() => w.ended, { ...eventually, what: "the watch to end with its CRD" });
    assert.ok(w.names().includes("DELETED n1"), "deleting the CRD deletes its objects");
  });
});

describe("client-node informers against the fake API server", () => {
  let api: FakeApiServer;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let c: Clients;
  let informer: k8s.Informer<k8s.V1Node> & k8s.ObjectCache<k8s.V1Node>;
  const log: string[] = [];
  const errors: unknown[] = [];

  function nodeLists(): number {
    return api.calls.filter((x) => x.verb === "list" && x.resource === "nodes").length;
  }

  beforeEach(async () => {
    log.length = 0;
    errors.length = 0;
    dir = await tempDir();
    api = await FakeApiServer.start({ bookmarkIntervalMs: 100 });
    c = await clientsFor(api, dir.path);
    informer = k8s.makeInformer(c.kc, "/api/v1/nodes", () => c.core.listNode());
    informer.on(k8s.ADD, (o) => log.push(`add ${o.metadata?.name}`));
    informer.on(k8s.UPDATE, (o) =>
      log.push(`update ${o.metadata?.name} ${JSON.stringify(o.metadata?.labels ?? {})}`),
    );
    informer.on(k8s.DELETE, (o) => log.push(`delete ${o.metadata?.name}`));
    informer.on(k8s.ERROR, (e) => errors.push(e));
  });

  afterEach(async () => {
    await informer.stop();
    await api.stop();
    await dir.remove();
  });

  it("reports ADD, UPDATE and DELETE", async () => {
    api.create(node("n1"));
    await informer.start();
    await waitFor(() => api.openWatches, {
      ...eventually,
      what: "the informer's watch",
      until: (n) => n === 1,
    });
    api.create(node("n2"));
    api.apply(node("n1", { x: "y" }));
    api.delete("v1", "Node", "n2");
    await waitFor(() => log.length, { ...eventually, what: "four callbacks", until: (n) => n >= 4 });
    assert.deepEqual(log, ["add n1", "add n2", 'update n1 {"x":"y"}', "delete n2"]);
    assert.deepEqual(
      informer.list().map((n) => n.metadata?.name),
      ["n1"],
    );
  });

  it("relists after a 410 and carries on", async () => {
    api.create(node("n1"));
    await informer.start();
    await waitFor(() => api.openWatches, {
      ...eventually,
      what: "the informer's watch",
      until: (n) => n === 1,
    });
    const listsBefore = nodeLists();
    // in one tick: the stream ends, something happens while the client is away, the history is forgotten
    api.dropWatches();
    api.create(node("n2"));
    api.compact();
    await waitFor(() => log, {
      ...eventually,
      what: "n2 from the relist",
      until: (l) => l.includes("add n2"),
    });
    assert.equal(nodeLists(), listsBefore + 1, "one relist");
    assert.ok(
      api.calls.some((x) => x.verb === "watch" && x.status === 200),
      "the informer watched again",
    );
    await waitFor(() => api.openWatches, {
      ...eventually,
      what: "the informer's new watch",
      until: (n) => n === 1,
    });
    api.apply(node("n1", { after: "relist" }));
    await waitFor(() => log, {
      ...eventually,
      what: "an update",
      until: (l) => l.includes('update n1 {"after":"relist"}'),
    });
    assert.deepEqual(errors, []);
  });

  it("resumes without relisting when its watch is merely dropped", async () => {
    api.create(node("n1"));
    await informer.start();
    await waitFor(() => api.openWatches, {
      ...eventually,
      what: "the informer's watch",
      until: (n) => n === 1,
    });
    const listsBefore = nodeLists();
    api.dropWatches();
    api.create(node("n2"));
    await waitFor(() => log, { ...eventually, what: "n2", until: (l) => l.includes("add n2") });
    assert.equal(nodeLists(), listsBefore);
  });

  it("reports an outage as an error, and starts again after resume()", async () => {
    api.create(node("n1"));
    await informer.start();
    await waitFor(() => api.openWatches, {
      ...eventually,
      what: "the informer's watch",
      until: (n) => n === 1,
    });
    await api.pause();
    await waitFor(() => errors.length, { ...eventually, what: "an informer error", until: (n) => n >= 1 });
    api.create(node("n2"));
    await api.resume();
    await informer.start();
    await waitFor(() => log, { ...eventually, what: "n2", until: (l) => l.includes("add n2") });
  });

  it("works for custom resources", async () => {
    api.installCrd(statusCrd());
    const crs = k8s.makeInformer<KubeObject & k8s.KubernetesObject>(
      c.kc,
      `/apis/${GROUP}/${VERSION}/bgpnodestatuses`,
      () => c.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: "bgpnodestatuses" }),
    );
    const seen: string[] = [];
    crs.on(k8s.ADD, (o) => seen.push(`add ${o.metadata?.name}`));
    crs.on(k8s.UPDATE, (o) => seen.push(`update ${o.metadata?.name}`));
    try {
      await crs.start();
      api.create({ apiVersion: `${GROUP}/${VERSION}`, kind: "BGPNodeStatus", metadata: { name: "n1" } });
      api.patchStatus(`${GROUP}/${VERSION}`, "BGPNodeStatus", "n1", { sessions: "1/1" });
      await waitFor(() => seen, { ...eventually, what: "add and update", until: (s) => s.length >= 2 });
      assert.deepEqual(seen, ["add n1", "update n1"]);
    } finally {
      await crs.stop();
    }
  });
});
