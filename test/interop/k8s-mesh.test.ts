// Kubernetes mode end to end: agents in node namespaces learn everything from
// the (fake) API server. Three dual-stack nodes form an iBGP full mesh and
// each kernel gets the other nodes' Pod CIDRs; a fourth node joins and
// leaves; a node whose Pod CIDR comes late (with a config of only
// `kubernetes: {enabled: true}`) originates it as soon as it is assigned.
import assert from "node:assert/strict";
import { K8sLab, type LabNode, podCidrs } from "../lab/k8s-cluster";
import { Lab } from "../lab/netns";
import { waitFor } from "../lab/wait";

describe("Kubernetes mode: node-to-node mesh from Node objects", function () {
  this.timeout(180_000);
  let lab: Lab;
  let cluster: K8sLab;
  let nodes: LabNode[];

  before(async () => {
    lab = Lab.create();
    cluster = await K8sLab.create(lab);
    nodes = [];
    for (const k of [1, 2, 3]) nodes.push(await cluster.addNode(k));
    await Promise.all(nodes.map((n) => n.start()));
  });

  after(async () => {
    await cluster?.stop();
    await lab?.teardown();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(lab.logs());
  });

  it("peers every node with every other, one IPv4 and one IPv6 session each, named by node", async () => {
    for (const n of nodes) {
      const others = nodes.filter((o) => o !== n);
      const want = others.flatMap((o) => [o.name, `${o.name}_v6`]).sort();
      const rows = await waitFor(() => n.protocols(), {
        timeoutMs: 30_000,
        what: `${n.name}'s mesh sessions to be Established`,
        until: (ps) => ps.length === want.length && ps.every((p) => p.bgpState === "Established"),
      });
      assert.deepEqual(rows.map((p) => p.name).sort(), want);
    }
  });

  it("installs the other nodes' Pod CIDRs (IPv4 and IPv6) in every kernel", async () => {
    for (const n of nodes) {
      const want = nodes.filter((o) => o !== n).flatMap((o) => podCidrs(o.k));
      await cluster.waitRoutes(want, { on: [n] });
      const own = (await n.kernelRoutes()).filter((r) => r.startsWith("local "));
      assert.deepEqual(
        own,
        podCidrs(n.k)
          .map((c) => `local ${c}`)
          .sort(),
      );
    }
  });

  it("show status reports Kubernetes mode, the node and the API connection", async () => {
    const s = (await nodes[0]!.request("show status")) as {
      node: string;
      routerId: string;
      asn: number;
      kubernetes?: {
        node: string;
        connected: boolean;
        synced: boolean;
        lastSync?: string;
        crdsInstalled: boolean;
      };
    };
    assert.equal(s.node, "node1");
    assert.equal(s.routerId, nodes[0]!.addresses.ipv4);
    assert.equal(s.asn, 64512);
    assert.ok(s.kubernetes, "kubernetes section present");
    assert.equal(s.kubernetes.node, "node1");
    assert.equal(s.kubernetes.synced, true);
    assert.equal(s.kubernetes.crdsInstalled, true);
    assert.ok(s.kubernetes.lastSync);
  });

  it("peers a fourth node as soon as its Node appears, and drops its routes everywhere when it is deleted", async () => {
    const started = Date.now();
    const n4 = await cluster.addNode(4);
    await n4.start();
    await cluster.waitRoutes(podCidrs(4), { on: nodes });
    const joinMs = Date.now() - started;
    await cluster.waitRoutes(
      nodes.flatMap((o) => podCidrs(o.k)),
      { on: [n4] },
    );
    const deleted = Date.now();
    await cluster.removeNode("node4");
    await cluster.waitRoutes(podCidrs(4), { on: nodes, absent: true });
    const leaveMs = Date.now() - deleted;
    for (const n of nodes) {
      const names = (await n.protocols()).map((p) => p.name);
      assert.ok(
        !names.includes("node4") && !names.includes("node4_v6"),
        `${n.name} unpeered node4: ${names}`,
      );
    }
    console.log(
      `      node join to routes in 3 kernels: ${joinMs} ms (agent start included); delete to routes gone: ${leaveMs} ms`,
    );
  });

  it("a node whose Pod CIDR comes late, running on a config of only kubernetes: {enabled: true}, originates it once assigned", async () => {
    const n5 = await cluster.addNode(5, { podCIDRs: [] });
    await n5.start({ minimal: true });
    const ready = await waitFor(
      () => n5.request("show status") as Promise<{ kubernetes?: { waiting: string[] } }>,
      {
        timeoutMs: 10_000,
        what: "node5 to report that it waits for a Pod CIDR",
        until: (s) => (s.kubernetes?.waiting ?? []).some((w) => /Pod CIDR/i.test(w)),
      },
    );
    assert.ok(ready.kubernetes);
    await cluster.waitRoutes(
      nodes.flatMap((o) => podCidrs(o.k)),
      { on: [n5] },
    );
    const assigned = Date.now();
    const node = cluster.api.get("v1", "Node", "node5") as { spec?: Record<string, unknown> };
    cluster.api.apply({
      ...node,
      spec: { ...node.spec, podCIDR: podCidrs(5)[0], podCIDRs: podCidrs(5) },
    } as never);
    await cluster.waitRoutes(podCidrs(5), { on: nodes });
    console.log(`      Pod CIDR assignment to routes in 3 other kernels: ${Date.now() - assigned} ms`);
    await cluster.removeNode("node5");
    await cluster.waitRoutes(podCidrs(5), { on: nodes, absent: true });
  });
});
