// The reflector against the fake API server with the real client library:
// list then watch, resume without relisting, relist on 410 without a change
// when nothing changed, a missing CRD that appears later, and an outage.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { ClusterClient } from "../../../src/k8s/client";
import { Reflector } from "../../../src/k8s/reflector";
import { GROUP_VERSION, PLURALS } from "../../../src/k8s/resources";
import { loadCrds } from "../../lab/k8s-cluster";
import { waitFor } from "../../lab/wait";
import { FakeApiServer } from "../../support/fake-apiserver";

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined };

function node(name: string, labels: Record<string, string> = {}) {
  return { apiVersion: "v1", kind: "Node", metadata: { name, labels } };
}

describe("k8s reflector (list + watch) against the fake API server", function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let client: ClusterClient;
  let dir: string;
  const reflectors: Reflector[] = [];

  beforeEach(async () => {
    api = await FakeApiServer.start({ bookmarkIntervalMs: 100 });
    dir = mkdtempSync(join(tmpdir(), "flatroute-reflector-"));
    await api.writeKubeconfig(join(dir, "kubeconfig"));
    const kc = new KubeConfig();
    kc.loadFromFile(join(dir, "kubeconfig"));
    client = new ClusterClient(kc);
  });

  afterEach(async () => {
    for (const r of reflectors.splice(0)) r.stop();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function nodes(): { r: Reflector; changes: () => number } {
    const r = new Reflector({
      name: "nodes",
      list: () => client.listNodes(),
      watchPath: "/api/v1/nodes",
      watch: client.watch,
      log: quiet,
      backoffInitialMs: 50,
      backoffMaxMs: 200,
    });
    let n = 0;
    r.on("change", () => n++);
    reflectors.push(r);
    r.start();
    return { r, changes: () => n };
  }

  const names = (r: Reflector) =>
    r
      .items()
      .map((o) => o.metadata?.name)
      .sort();
  const lists = () => api.calls.filter((c) => c.verb === "list" && c.resource === "nodes").length;

  it("lists, then follows additions, changes and deletions through the watch", async () => {
    api.apply(node("a"));
    const { r } = nodes();
    await waitFor(() => r.synced, { timeoutMs: 5_000, what: "first sync", until: (x) => x });
    assert.deepEqual(names(r), ["a"]);
    api.apply(node("b"));
    api.apply(node("a", { x: "1" }));
    await waitFor(() => names(r), { timeoutMs: 5_000, what: "b to appear", until: (n) => n.length === 2 });
    api.delete("v1", "Node", "b");
    await waitFor(() => names(r), { timeoutMs: 5_000, what: "b to go", until: (n) => n.length === 1 });
    await waitFor(() => r.items()[0]?.metadata?.labels?.x, {
      timeoutMs: 5_000,
      what: "a's label",
      until: (x) => x === "1",
    });
  });

  it("resumes a dropped watch from its resourceVersion without relisting", async () => {
    const { r } = nodes();
    await waitFor(() => r.connected, { timeoutMs: 5_000, what: "watch open", until: (x) => x });
    const before = lists();
    api.dropWatches();
    api.apply(node("c"));
    await waitFor(() => names(r), { timeoutMs: 5_000, what: "c to arrive", until: (n) => n.includes("c") });
    assert.equal(lists(), before);
  });

  it("relists after 410 Gone, and reports no change when nothing changed", async () => {
    api.apply(node("a"));
    const { r, changes } = nodes();
    await waitFor(() => r.connected, { timeoutMs: 5_000, what: "watch open", until: (x) => x });
    const before = lists();
    const seen = changes();
    await api.pause();
    api.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "default" } });
    api.compact();
    await api.resume();
    await waitFor(lists, { timeoutMs: 10_000, what: "a relist", until: (n) => n > before });
    await waitFor(() => r.connected, { timeoutMs: 5_000, what: "watch open again", until: (x) => x });
    assert.equal(changes(), seen, "a relist of unchanged objects is not a change");
    assert.deepEqual(names(r), ["a"]);
  });

  it("rides out an outage and catches up with what changed meanwhile", async () => {
    const { r } = nodes();
    await waitFor(() => r.connected, { timeoutMs: 5_000, what: "watch open", until: (x) => x });
    await api.pause();
    await waitFor(() => r.connected, {
      timeoutMs: 5_000,
      what: "the outage to be noticed",
      until: (x) => !x,
    });
    assert.ok(r.lastError);
    api.apply(node("late"));
    await api.resume();
    await waitFor(() => names(r), {
      timeoutMs: 10_000,
      what: "late to arrive",
      until: (n) => n.includes("late"),
    });
  });

  it("treats a custom resource without its CRD as missing, and picks it up once installed", async () => {
    const r = new Reflector({
      name: PLURALS.BGPPeer,
      list: () => client.listCustom(PLURALS.BGPPeer),
      watchPath: `/apis/${GROUP_VERSION}/${PLURALS.BGPPeer}`,
      watch: client.watch,
      log: quiet,
      optional: true,
      backoffInitialMs: 50,
      backoffMaxMs: 200,
    });
    reflectors.push(r);
    r.start();
    await waitFor(() => r.missing, { timeoutMs: 5_000, what: "missing", until: (x) => x });
    assert.equal(r.synced, true);
    for (const crd of loadCrds()) api.installCrd(crd);
    api.apply({
      apiVersion: GROUP_VERSION,
      kind: "BGPPeer",
      metadata: { name: "p" },
      spec: { peerAddress: "10.0.0.1", peerASN: 65000 },
    });
    await waitFor(() => r.items().length, { timeoutMs: 10_000, what: "the BGPPeer", until: (n) => n === 1 });
    assert.equal(r.missing, false);
  });
});
